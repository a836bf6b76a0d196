#include "agent/logs/processing_config.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <set>

#include "collectors/common/units.h"
#include "collectors/kube/label_selector.h"
#include "collectors/logs/processing/processing.h"
#include "collectors/logs/processing/redact.h"

namespace keelson::agent {
namespace {

constexpr std::string_view kKeys[] = {"namespaces", "pods", "containers", "multiline",
                                      "parse_json", "drop", "redact"};

Failure configError(const std::string& file, const YAML::Node& node, const std::string& message) {
  const auto mark = node.Mark();
  const int line = mark.line >= 0 ? mark.line + 1 : 0;
  return fail("ConfigError", fmt::format("{}:{}: {}", file, line, message));
}

std::string keyOf(const YAML::Node& k) {
  return k.IsScalar() ? k.Scalar() : std::string();
}

// One parser per call: file name and error helpers, every field named by its full path.
class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  Result<std::string> text(const YAML::Node& v, const std::string& path) const {
    if (!v.IsScalar())
      return configError(file_, v, fmt::format("`{}` must be a single value", path));
    return v.Scalar();
  }

  Result<std::string> pattern(const YAML::Node& v, const std::string& path) const {
    auto s = text(v, path);
    if (!s) return s;
    if (s->empty()) return configError(file_, v, fmt::format("`{}` must not be empty", path));
    RE2::Options o;
    o.set_log_errors(false);
    const RE2 re(*s, o);
    if (!re.ok()) {
      return configError(
          file_, v, fmt::format("`{}`: '{}' is not a valid RE2 pattern: {}", path, *s, re.error()));
    }
    return s;
  }

  Result<bool> boolean(const YAML::Node& v, const std::string& path) const {
    auto s = text(v, path);
    if (!s) return fail(s.error());
    if (*s == "true") return true;
    if (*s == "false") return false;
    return configError(file_, v, fmt::format("`{}` must be true or false", path));
  }

  Result<std::uint64_t> positive(const YAML::Node& v, const std::string& path, bool bytes) const {
    auto s = text(v, path);
    if (!s) return fail(s.error());
    auto n = keelson::parseByteSize(*s);
    if (!n || *n == 0 || (!bytes && s->find_first_not_of("0123456789") != std::string::npos)) {
      return configError(file_, v,
                         fmt::format("`{}`: '{}' is not a positive {}", path, *s,
                                     bytes ? "size (e.g. 64KiB)" : "integer"));
    }
    return *n;
  }

  Result<std::vector<std::string>> globs(const YAML::Node& v, const std::string& path) const {
    if (!v.IsSequence()) {
      return configError(file_, v,
                         fmt::format("`{}` must be a list of names or globs (e.g. [shop, "
                                     "\"team-*\"])",
                                     path));
    }
    std::vector<std::string> out;
    for (const auto& g : v) {
      if (!g.IsScalar() || g.Scalar().empty()) {
        return configError(file_, g,
                           fmt::format("`{}`: every entry must be a non-empty name or glob", path));
      }
      out.push_back(g.Scalar());
    }
    return out;
  }

  Result<logs::processing::Selection> selection(const YAML::Node& v,
                                                const std::string& path) const {
    if (!v.IsMap()) {
      return configError(file_, v,
                         fmt::format("`{}` must be a mapping with include and/or exclude", path));
    }
    logs::processing::Selection s;
    const bool pods = path == "logs.pods";
    for (const auto& kv : v) {
      const std::string k = keyOf(kv.first);
      if (pods && k == "selector") {
        if (!kv.second.IsScalar()) {
          return configError(file_, kv.second,
                             fmt::format("`{}.selector` must be a label selector", path));
        }
        auto parsed = kube::parseLabelSelector(kv.second.Scalar());
        if (!parsed) {
          return configError(file_, kv.second,
                             fmt::format("`{}.selector`: {}", path, parsed.error().message));
        }
        s.selector = kv.second.Scalar();
        continue;
      }
      if (k != "include" && k != "exclude") {
        return configError(file_, kv.first,
                           fmt::format("unknown key `{}.{}` (known: include, exclude{})", path, k,
                                       pods ? ", selector" : ""));
      }
      auto list = globs(kv.second, path + "." + k);
      if (!list) return fail(list.error());
      (k == "include" ? s.include : s.exclude) = std::move(list).value();
    }
    return s;
  }

  Result<logs::processing::Match> match(const YAML::Node& v, const std::string& path) const {
    if (!v.IsMap()) {
      return configError(
          file_, v, fmt::format("`{}` must be a mapping of namespace, pod, container globs", path));
    }
    logs::processing::Match m;
    for (const auto& kv : v) {
      const std::string k = keyOf(kv.first);
      std::string* into = k == "namespace"   ? &m.namespace_glob
                          : k == "pod"       ? &m.pod_glob
                          : k == "container" ? &m.container_glob
                                             : nullptr;
      if (into == nullptr) {
        return configError(
            file_, kv.first,
            fmt::format("unknown key `{}.{}` (known: namespace, pod, container)", path, k));
      }
      auto s = text(kv.second, path + "." + k);
      if (!s) return fail(s.error());
      *into = *s;
    }
    return m;
  }

  // A list of mappings; calls `item(node, "logs.<key>[i]")` for each.
  template <typename F>
  Status list(const YAML::Node& v, const std::string& path, F&& item) const {
    if (!v.IsSequence()) {
      return configError(file_, v, fmt::format("`{}` must be a list of rules", path));
    }
    std::size_t i = 0;
    for (const auto& n : v) {
      const std::string at = fmt::format("{}[{}]", path, i++);
      if (!n.IsMap()) return configError(file_, n, fmt::format("`{}` must be a mapping", at));
      if (auto st = item(n, at); !st) return st;
    }
    return {};
  }

  Failure unknown(const YAML::Node& k, const std::string& path, std::string_view known) const {
    return configError(file_, k,
                       fmt::format("unknown key `{}.{}` (known: {})", path, keyOf(k), known));
  }

  Failure error(const YAML::Node& n, const std::string& message) const {
    return configError(file_, n, message);
  }

 private:
  const std::string& file_;
};

#define KEELSON_TRY(var, expr) \
  auto var = (expr);           \
  if (!var) return fail(var.error());

Status parseMultiline(const Parser& p, const YAML::Node& v, LogsConfig& cfg) {
  return p.list(v, "logs.multiline", [&](const YAML::Node& n, const std::string& at) -> Status {
    logs::MultilineRule rule;
    for (const auto& kv : n) {
      const std::string k = keyOf(kv.first);
      const std::string path = at + "." + k;
      if (k == "match") {
        KEELSON_TRY(m, p.match(kv.second, path));
        rule.namespace_name = m->namespace_glob;
        rule.pod_name = m->pod_glob;
        rule.container_name = m->container_glob;
      } else if (k == "parser") {
        KEELSON_TRY(s, p.text(kv.second, path));
        bool known = false;
        for (const auto name : logs::kMultilineParsers)
          known = known || name == *s;
        if (!known) {
          return p.error(kv.second, fmt::format("`{}`: '{}' is not one of {}", path, *s,
                                                logs::multilineParserList()));
        }
        rule.parser = *s;
      } else if (k == "start") {
        KEELSON_TRY(s, p.pattern(kv.second, path));
        rule.start_pattern = *s;
      } else if (k == "continue") {
        KEELSON_TRY(s, p.pattern(kv.second, path));
        rule.continue_pattern = *s;
      } else if (k == "flush_timeout") {
        KEELSON_TRY(s, p.text(kv.second, path));
        const auto d = keelson::parseDuration(*s);
        if (!d || d->count() <= 0) {
          return p.error(kv.second, fmt::format("`{}`: '{}' is not a positive duration (e.g. "
                                                "1s, 500ms)",
                                                path, *s));
        }
        rule.flush_timeout = *d;
      } else {
        return p.unknown(kv.first, at, "match, parser, start, continue, flush_timeout");
      }
    }
    if (rule.parser.empty() == rule.start_pattern.empty()) {
      return p.error(n, fmt::format("`{}` needs either `parser` ({}) or `start` "
                                    "(with an optional `continue`), not both",
                                    at, logs::multilineParserList()));
    }
    if (!rule.parser.empty() && !rule.continue_pattern.empty()) {
      return p.error(n, fmt::format("`{}`: `continue` goes with `start`, not with `parser`", at));
    }
    if (auto c = logs::CompiledMultilineRule::compile(rule); !c) {
      return p.error(n, fmt::format("`{}`: {}", at, c.error().message));
    }
    cfg.multiline.push_back(std::move(rule));
    return {};
  });
}

Status parseParseJson(const Parser& p, const YAML::Node& v, LogsConfig& cfg) {
  const std::string at = "logs.parse_json";
  if (!v.IsMap()) return p.error(v, "`logs.parse_json` must be a mapping");
  auto& pj = cfg.processing.parse_json;
  pj.enabled = true;  // a parse_json section means "on" unless it says enabled: false
  for (const auto& kv : v) {
    const std::string k = keyOf(kv.first);
    const std::string path = at + "." + k;
    if (k == "enabled") {
      KEELSON_TRY(b, p.boolean(kv.second, path));
      pj.enabled = *b;
    } else if (k == "match") {
      KEELSON_TRY(m, p.match(kv.second, path));
      pj.match = *m;
    } else if (k == "into") {
      KEELSON_TRY(s, p.text(kv.second, path));
      if (s->empty() || *s == "log" || *s == "time" || *s == "stream" || *s == "kubernetes") {
        return p.error(kv.second, fmt::format("`{}`: '{}' is empty or a field every record "
                                              "already has (log, time, stream, kubernetes)",
                                              path, *s));
      }
      pj.into = *s;
    } else if (k == "keep_log") {
      KEELSON_TRY(b, p.boolean(kv.second, path));
      pj.keep_log = *b;
    } else if (k == "max_depth") {
      KEELSON_TRY(n, p.positive(kv.second, path, false));
      if (*n > 1000) return p.error(kv.second, fmt::format("`{}` must be at most 1000", path));
      pj.max_depth = static_cast<std::size_t>(*n);
    } else if (k == "max_bytes") {
      KEELSON_TRY(n, p.positive(kv.second, path, true));
      pj.max_bytes = static_cast<std::size_t>(*n);
    } else {
      return p.unknown(kv.first, at, "enabled, match, into, keep_log, max_depth, max_bytes");
    }
  }
  return {};
}

Status parseDrop(const Parser& p, const YAML::Node& v, LogsConfig& cfg) {
  return p.list(v, "logs.drop", [&](const YAML::Node& n, const std::string& at) -> Status {
    logs::processing::DropRule rule;
    for (const auto& kv : n) {
      const std::string k = keyOf(kv.first);
      const std::string path = at + "." + k;
      if (k == "name") {
        KEELSON_TRY(s, p.text(kv.second, path));
        rule.name = *s;
      } else if (k == "match") {
        KEELSON_TRY(m, p.match(kv.second, path));
        rule.match = *m;
      } else if (k == "pattern") {
        KEELSON_TRY(s, p.pattern(kv.second, path));
        rule.pattern = *s;
      } else if (k == "field") {
        KEELSON_TRY(s, p.text(kv.second, path));
        rule.field = *s;
      } else {
        return p.unknown(kv.first, at, "name, match, pattern, field");
      }
    }
    if (rule.pattern.empty()) return p.error(n, fmt::format("`{}` needs a `pattern`", at));
    cfg.processing.drop.push_back(std::move(rule));
    return {};
  });
}

Status parseRedact(const Parser& p, const YAML::Node& v, LogsConfig& cfg) {
  return p.list(v, "logs.redact", [&](const YAML::Node& n, const std::string& at) -> Status {
    logs::processing::RedactRule rule;
    for (const auto& kv : n) {
      const std::string k = keyOf(kv.first);
      const std::string path = at + "." + k;
      if (k == "name") {
        KEELSON_TRY(s, p.text(kv.second, path));
        rule.name = *s;
      } else if (k == "match") {
        KEELSON_TRY(m, p.match(kv.second, path));
        rule.match = *m;
      } else if (k == "builtin") {
        KEELSON_TRY(s, p.text(kv.second, path));
        bool known = false;
        for (const auto b : logs::processing::kBuiltinRedactions)
          known = known || b == *s;
        if (!known) {
          return p.error(kv.second,
                         fmt::format("`{}`: '{}' is not one of card, email, bearer", path, *s));
        }
        rule.builtin = *s;
      } else if (k == "pattern") {
        KEELSON_TRY(s, p.pattern(kv.second, path));
        rule.pattern = *s;
      } else if (k == "replacement") {
        KEELSON_TRY(s, p.text(kv.second, path));
        rule.replacement = *s;
      } else {
        return p.unknown(kv.first, at, "name, match, builtin, pattern, replacement");
      }
    }
    if (rule.builtin.empty() == rule.pattern.empty()) {
      return p.error(n, fmt::format("`{}` needs either `builtin` (card, email, bearer) or "
                                    "`pattern`, not both",
                                    at));
    }
    if (auto r = logs::processing::Redaction::compile(rule); !r) {
      return p.error(n, fmt::format("`{}`: {}", at, r.error().message));
    }
    cfg.processing.redact.push_back(std::move(rule));
    return {};
  });
}

#undef KEELSON_TRY

}  // namespace

bool isProcessingKey(std::string_view key) {
  for (const auto k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

Status parseProcessingKey(const std::string& key, const YAML::Node& v, const std::string& file,
                          LogsConfig& cfg) {
  const Parser p(file);
  if (key == "namespaces" || key == "pods" || key == "containers") {
    auto s = p.selection(v, "logs." + key);
    if (!s) return fail(s.error());
    (key == "namespaces" ? cfg.namespaces : key == "pods" ? cfg.pods : cfg.containers) = *s;
    return {};
  }
  if (key == "multiline") return parseMultiline(p, v, cfg);
  if (key == "parse_json") return parseParseJson(p, v, cfg);
  if (key == "drop") return parseDrop(p, v, cfg);
  if (key == "redact") return parseRedact(p, v, cfg);
  return p.error(v, "unknown key `logs." + key + "`");
}

Status checkProcessing(const LogsConfig& cfg, const std::string& file) {
  if (cfg.processing.empty()) return {};
  auto compiled = logs::processing::Processing::compile(cfg.processing);
  if (!compiled) return fail("ConfigError", file + ": " + compiled.error().message);
  return {};
}

}  // namespace keelson::agent
