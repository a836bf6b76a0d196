// Log processing: the rules of rules.h compiled once from the configuration, and applied to each
// record between the assembler and the encoder (the record encoder calls FileRules::apply).
//
//   Processing::compile(config)     once, at start-up: every pattern compiled (RE2), errors named
//   Processing::forFile(ns,pod,ctr) once per file (and when its metadata changes): the rules that
//                                   select it, or null when none does; a file without rules
//                                   pays one null check per record (no allocation, no regex)
//   FileRules::apply(log, scratch)  per record, in this order: drop rules on `log`; parse_json;
//                                   drop rules on parsed fields; redactions of `log` and of the
//                                   parsed body's string values
//
// Counters (records dropped and redacted per rule, JSON bodies per result) are relaxed atomics
// in the compiled Processing: apply() runs on the tailer's thread, counters() may be read from
// any thread. Everything else is immutable after compile().
#pragma once

#include <re2/re2.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/logs/processing/json_body.h"
#include "collectors/logs/processing/redact.h"
#include "collectors/logs/processing/rules.h"

namespace keelson::logs::processing {

struct ProcessingCounters {
  std::map<std::string, std::uint64_t, std::less<>> dropped;   // records, by rule name
  std::map<std::string, std::uint64_t, std::less<>> redacted;  // records changed, by rule name
  std::map<std::string, std::uint64_t, std::less<>> json;      // bodies, by JsonBodyResult name
};

// Buffers one file's records are processed in (reused: no allocation per record once warm).
struct Scratch {
  std::string log;
  std::string tmp;
  std::string body;
  nlohmann::ordered_json json;
};

// What apply() decided for one record. Views point into the scratch or the input and are valid
// until the next apply() with the same scratch.
struct Outcome {
  bool dropped = false;
  std::string_view log;   // the (possibly redacted) message
  bool keep_log = true;   // false: a parsed body replaces `log` in the record
  std::string_view into;  // the parsed body's field name; empty when nothing was parsed
  std::string_view body;  // the parsed body as compact JSON
};

class Processing;

class FileRules {
 public:
  Outcome apply(std::string_view log, Scratch& scratch) const;

 private:
  friend class Processing;
  struct Drop;
  struct Redact;
  std::shared_ptr<const Processing> owner_;  // keeps the compiled rules alive
  std::vector<const Drop*> drop_log_;        // patterns on `log`
  std::vector<const Drop*> drop_field_;      // patterns on parsed fields
  std::vector<const Redact*> redact_;
  const ParseJson* parse_json_ = nullptr;  // null: bodies are not parsed for this file
};

class Processing : public std::enable_shared_from_this<Processing> {
 public:
  // Errors: "ConfigError" naming the rule (e.g. "logs.redact[2].pattern: ...").
  static Result<std::shared_ptr<const Processing>> compile(const ProcessingConfig& config);

  // The rules selecting the file, or null when none does.
  std::shared_ptr<const FileRules> forFile(std::string_view namespace_name,
                                           std::string_view pod_name,
                                           std::string_view container_name) const;

  ProcessingCounters counters() const;
  bool empty() const { return drops_.empty() && redacts_.empty() && !config_.parse_json.enabled; }

 private:
  friend class FileRules;
  ProcessingConfig config_;
  std::vector<std::unique_ptr<FileRules::Drop>> drops_;
  std::vector<std::unique_ptr<FileRules::Redact>> redacts_;
  mutable std::array<std::atomic<std::uint64_t>, 5> json_counts_{};  // index: JsonBodyResult
};

struct FileRules::Drop {
  std::string name;
  Match match;
  std::string field;
  std::vector<std::string> path;  // field split at '.'
  RE2 re;
  mutable std::atomic<std::uint64_t> count{0};
  Drop(const DropRule& rule, const RE2::Options& options);
};

struct FileRules::Redact {
  std::string name;
  Match match;
  std::unique_ptr<Redaction> redaction;
  mutable std::atomic<std::uint64_t> count{0};
};

}  // namespace keelson::logs::processing
