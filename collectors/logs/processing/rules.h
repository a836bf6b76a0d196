// Log processing rules as configured (logs.drop, logs.redact, logs.parse_json): plain data, parsed
// by agent/logs/logs_config.cpp and compiled once by processing.h. Patterns are RE2 syntax (linear
// time: a log line cannot make the agent backtrack).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace keelson::logs::processing {

// Which files a rule applies to: globs (`*`, `?`; metadata_filter.h's globMatch) on the
// namespace, pod and container names. An empty glob matches everything.
struct Match {
  std::string namespace_glob;
  std::string pod_glob;
  std::string container_glob;
  bool selects(std::string_view namespace_name, std::string_view pod_name,
               std::string_view container_name) const;
  friend bool operator==(const Match&, const Match&) = default;
};

// Drops a record whose `log` (or, with `field`, a field of the parsed JSON body: a dotted path
// such as "level" or "http.path") matches `pattern` anywhere.
struct DropRule {
  std::string name;  // the metric label; default "drop[<index>]"
  Match match;
  std::string pattern;
  std::string field;  // "" = the `log` text
  friend bool operator==(const DropRule&, const DropRule&) = default;
};

// Replaces every match of a pattern in `log` and in the parsed body's string values. `builtin`
// is one of kBuiltinRedactions (then `pattern` is empty); otherwise `pattern` is RE2 and
// `replacement` may refer to its groups as \1..\9.
struct RedactRule {
  std::string name;  // the metric label; default the builtin's name or "redact[<index>]"
  Match match;
  std::string builtin;
  std::string pattern;
  std::string replacement = "[REDACTED]";
  friend bool operator==(const RedactRule&, const RedactRule&) = default;
};

// "card": payment card numbers (13 to 19 digits, optionally grouped by spaces or dashes) that
// pass the Luhn check (an order id that fails it is left alone). "email": e-mail addresses.
// "bearer": the token of an `Authorization: Bearer <token>` (the header name is kept).
inline constexpr std::string_view kBuiltinRedactions[] = {"card", "email", "bearer"};

// Parses a `log` that is a JSON object into the field `into` (Fluent Bit's Merge_Log_Key).
struct ParseJson {
  bool enabled = false;
  Match match;
  std::string into = "log_processed";
  bool keep_log = true;               // false: the record carries the parsed field, not `log`
  std::size_t max_depth = 32;         // deeper bodies pass unchanged (counted TooDeep)
  std::size_t max_bytes = 64u << 10;  // longer bodies pass unchanged (counted TooLarge)
  friend bool operator==(const ParseJson&, const ParseJson&) = default;
};

// Which namespaces (pods, containers) are read at all: names or globs. Empty `include` = all;
// `exclude` wins.
struct Selection {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // Pods only: a Kubernetes label selector ("app=web,tier notin (db)"; collectors/kube/
  // label_selector.h) over the pod's labels from the API; "" = none.
  std::string selector;
  friend bool operator==(const Selection&, const Selection&) = default;
};

struct ProcessingConfig {
  std::vector<DropRule> drop;
  std::vector<RedactRule> redact;
  ParseJson parse_json;
  bool empty() const { return drop.empty() && redact.empty() && !parse_json.enabled; }
  friend bool operator==(const ProcessingConfig&, const ProcessingConfig&) = default;
};

}  // namespace keelson::logs::processing
