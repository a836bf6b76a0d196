// The processing and selection keys of `logs:` (issue 16), parsed apart from logs_config.cpp so
// that each stays readable: namespaces, pods, containers, multiline, parse_json, drop, redact.
// parseLogsConfig hands each of these keys here. Every pattern is compiled (RE2) while parsing,
// so a bad one is reported at start-up with file:line and the field's name.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "agent/logs/logs_config.h"
#include "collectors/common/result.h"

namespace keelson::agent {

// True for the keys parseProcessingKey handles.
bool isProcessingKey(std::string_view key);

// Parses `logs.<key>` into `cfg`. Errors: "ConfigError" with "<file>:<line>: <message>".
Status parseProcessingKey(const std::string& key, const YAML::Node& value, const std::string& file,
                          LogsConfig& cfg);

// The checks that need the whole section (a drop rule on a parsed field needs parse_json), run by
// parseLogsConfig after every key: compiles the rules exactly as the pipeline will.
Status checkProcessing(const LogsConfig& cfg, const std::string& file);

}  // namespace keelson::agent
