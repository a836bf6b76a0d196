// `${...}` references in the agent's configuration: secrets and per-node values come from the
// environment or from files (a mounted Kubernetes Secret) instead of the file itself.
//
//   node_name: ${NODE_NAME}                    # the environment variable; unset is an error
//   sink: kafka://${KAFKA_HOST:-kafka:9092}/logs   # a default when unset or empty (shell's :-)
//   sasl.password: ${file:/var/run/secrets/kafka/password}   # the file, trailing newlines cut
//   sasl.username: ${env:KAFKA_USER}           # the same as ${KAFKA_USER} (the older spelling)
//   pattern: 'cost \d+$$'                      # `$$` is a literal `$`; a `$` before anything
//                                              # but `{` or `$` is itself
//
// Substitution works on the parsed YAML tree, one scalar value at a time (mapping values and
// sequence items; never keys, never comments), not on the file's text: a value can never inject
// YAML structure (a variable holding "a\nsink: evil" stays one string), a multi-line value (a PEM
// certificate) needs no quoting, and a commented-out reference is not resolved. A substituted
// scalar keeps its line (errors still name it) and its style: a plain `${N}` holding `true` or
// `5` reads as a boolean or number, a quoted one stays a string. A default is a literal (not
// scanned again, no nesting: it ends at the first `}`); a substituted value is never scanned
// again either.
//
// Bounds: a file at most kMaxFileBytes (a Secret is at most 1 MiB, a password far less); all the
// substituted bytes of one configuration at most kMaxSubstitutedBytes; each file is read once per
// load, so every reference to it sees the same content.
//
// Errors name the file, the line and the variable or path ("agent.yaml:7: environment variable
// 'KAFKA_USER' is not set"), never a value. scrubSecrets() takes substituted values back out of
// any later message (a parser's "'<value>' is not a size").
//
// Pure: the environment and the files are reached through SubstSources, so tests inject them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::agent {

constexpr std::size_t kMaxFileBytes = 64 * 1024;
constexpr std::size_t kMaxSubstitutedBytes = 4 << 20;

struct SubstSources {
  // The variable's value; nullopt when unset.
  std::function<std::optional<std::string>(const std::string& name)> env;
  // The file's content; an error ("TooLarge", "NotFound", ...) beyond `limit` bytes or unreadable.
  std::function<Result<std::string>(const std::string& path, std::size_t limit)> file;
};

// getenv and readSmallFile.
SubstSources systemSources();

// One reference that was resolved: its text as written ("${file:/p}") and the value put in.
struct Substitution {
  std::string reference;
  std::string value;
  friend bool operator==(const Substitution&, const Substitution&) = default;
};

// Pure: `text` with every reference replaced; `used` (optional) gets one entry per reference.
// Errors ("ConfigSubstitution") are sentences without file or line; more than `max_bytes` of
// substituted values is one (checked as each reference is resolved: memory stays bounded).
Result<std::string> substitute(std::string_view text, const SubstSources& sources,
                               std::vector<Substitution>* used = nullptr,
                               std::size_t max_bytes = kMaxSubstitutedBytes);

// Every scalar value of `root`, in place. Errors: "ConfigSubstitution", "FILE:LINE: sentence".
// `used` gets the resolved references (for scrubSecrets). Exceptions never leave it.
Status substituteScalars(YAML::Node& root, const std::string& file, const SubstSources& sources,
                         std::vector<Substitution>& used);

// `message` with every substituted value of 3 bytes or more replaced by its reference (longest
// first), so an error that quotes a value shows `${file:/p}` instead of the secret. Shorter values
// are not secrets worth the garbling (a "5" would hit every line number).
std::string scrubSecrets(std::string message, const std::vector<Substitution>& used);

}  // namespace keelson::agent
