#include "agent/logs/logs_config.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "agent/logs/processing_config.h"
#include "collectors/common/file.h"
#include "collectors/common/units.h"

namespace keelson::agent {

namespace {

Failure configError(const std::string& file, const YAML::Node& node, const std::string& message) {
  const auto mark = node.Mark();
  const int line = mark.line >= 0 ? mark.line + 1 : 0;
  return fail("ConfigError", fmt::format("{}:{}: {}", file, line, message));
}

// yaml-cpp throws on conversions; everything below goes through these non-throwing helpers.
std::optional<std::string> scalar(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

}  // namespace

Result<LogsConfig> parseLogsConfig(const YAML::Node& logs, const std::string& file) {
  LogsConfig cfg;
  if (!logs.IsDefined() || logs.IsNull()) return cfg;
  if (!logs.IsMap()) return configError(file, logs, "`logs` must be a mapping");

  const auto needScalar = [&](const YAML::Node& v, const std::string& key) -> Result<std::string> {
    auto s = scalar(v);
    if (!s) return configError(file, v, fmt::format("`logs.{}` must be a single value", key));
    return *s;
  };
  const auto bytesOf = [&](const YAML::Node& v, const std::string& key,
                           std::uint64_t min) -> Result<std::uint64_t> {
    auto s = needScalar(v, key);
    if (!s) return fail(s.error());
    auto b = keelson::parseByteSize(*s);
    if (!b) {
      return configError(
          file, v, fmt::format("`logs.{}`: '{}' is not a size ({})", key, *s, b.error().message));
    }
    if (*b < min) {
      return configError(file, v, fmt::format("`logs.{}` must be at least {} bytes", key, min));
    }
    return *b;
  };
  const auto durationOf = [&](const YAML::Node& v, const std::string& key,
                              bool zero = false) -> Result<std::chrono::milliseconds> {
    auto s = needScalar(v, key);
    if (!s) return fail(s.error());
    auto d = keelson::parseDuration(*s);
    if (!d) {
      return configError(file, v,
                         fmt::format("`logs.{}`: '{}' is not a {}duration ({})", key, *s,
                                     zero ? "" : "positive ", d.error().message));
    }
    if (d->count() < 0 || (d->count() == 0 && !zero)) {
      return configError(file, v,
                         fmt::format("`logs.{}`: '{}' is not a positive duration (e.g. 10s, "
                                     "250ms, 1h30m)",
                                     key, *s));
    }
    return *d;
  };
  const auto numberOf = [&](const YAML::Node& v, const std::string& key) -> Result<double> {
    auto s = needScalar(v, key);
    if (!s) return fail(s.error());
    char* end = nullptr;
    const double d = std::strtod(s->c_str(), &end);
    if (s->empty() || end != s->c_str() + s->size() || !std::isfinite(d) || d <= 0) {
      return configError(file, v, fmt::format("`logs.{}`: '{}' is not a positive number", key, *s));
    }
    return d;
  };

  for (const auto& kv : logs) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const YAML::Node& v = kv.second;
#define KEELSON_TRY(var, expr) \
  auto var = (expr);           \
  if (!var) return fail(var.error());
    if (key == "enabled") {
      KEELSON_TRY(s, needScalar(v, key));
      if (*s == "true")
        cfg.enabled = true;
      else if (*s == "false")
        cfg.enabled = false;
      else
        return configError(file, v, "`logs.enabled` must be true or false");
    } else if (key == "inflight_budget") {
      KEELSON_TRY(b, bytesOf(v, key, 64 * 1024));
      cfg.inflight_budget = *b;
    } else if (key == "max_record_bytes") {
      KEELSON_TRY(b, bytesOf(v, key, 1024));
      cfg.max_record_bytes = *b;
    } else if (key == "checkpoint_interval") {
      KEELSON_TRY(d, durationOf(v, key));
      cfg.checkpoint_interval = *d;
    } else if (key == "shutdown_timeout") {
      KEELSON_TRY(d, durationOf(v, key));
      cfg.shutdown_timeout = *d;
    } else if (key == "ship_timeout") {
      KEELSON_TRY(d, durationOf(v, key));
      cfg.ship_timeout = *d;
    } else if (key == "poll_interval") {
      KEELSON_TRY(d, durationOf(v, key));
      cfg.poll_interval = *d;
    } else if (key == "batch_wait") {
      KEELSON_TRY(d, durationOf(v, key, true));
      if (*d > std::chrono::seconds(1)) {
        return configError(file, v, "`logs.batch_wait` must be at most 1s (it delays every line)");
      }
      cfg.batch_wait = *d;
    } else if (key == "retry_backoff") {
      KEELSON_TRY(d, durationOf(v, key));
      cfg.retry_backoff = *d;
    } else if (key == "undeliverable") {
      KEELSON_TRY(s, needScalar(v, key));
      if (*s != "pause" && *s != "drop") {
        return configError(file, v,
                           fmt::format("`logs.undeliverable`: '{}' is not one of pause, drop", *s));
      }
      cfg.undeliverable = *s;
    } else if (key == "timestamp_key") {
      KEELSON_TRY(s, needScalar(v, key));
      static const std::set<std::string> kTaken = {"time",      "stream",      "log",
                                                   "truncated", "parse_error", "kubernetes"};
      if (s->empty() || s->size() > 64 || kTaken.contains(*s)) {
        return configError(file, v,
                           fmt::format("`logs.timestamp_key`: '{}' must be 1 to 64 bytes and not "
                                       "a field records already have (time, stream, log, "
                                       "truncated, parse_error, kubernetes)",
                                       *s));
      }
      cfg.timestamp_key = *s;
    } else if (key == "record_metadata") {
      if (!v.IsMap()) return configError(file, v, "`logs.record_metadata` must be a mapping");
      for (const auto& m : v) {
        const std::string mk = m.first.IsScalar() ? m.first.Scalar() : std::string();
        if (mk == "labels" || mk == "annotations") {
          const YAML::Node& list = m.second;
          if (!list.IsSequence()) {
            return configError(file, list,
                               fmt::format("`logs.record_metadata.{}` must be a list of key "
                                           "globs (e.g. [\"app\", \"app.kubernetes.io/*\"], or [] "
                                           "for none)",
                                           mk));
          }
          std::vector<std::string> globs;
          for (const auto& g : list) {
            auto gs = scalar(g);
            if (!gs || gs->empty()) {
              return configError(file, g,
                                 fmt::format("`logs.record_metadata.{}`: every entry must be a "
                                             "non-empty key glob",
                                             mk));
            }
            globs.push_back(*gs);
          }
          (mk == "labels" ? cfg.record_metadata.labels : cfg.record_metadata.annotations) =
              std::move(globs);
        } else if (mk == "max_value_bytes") {
          KEELSON_TRY(b, bytesOf(m.second, "record_metadata.max_value_bytes", 0));
          cfg.record_metadata.max_value_bytes = static_cast<std::size_t>(*b);
        } else if (mk == "max_bytes") {
          KEELSON_TRY(b, bytesOf(m.second, "record_metadata.max_bytes", 0));
          cfg.record_metadata.max_bytes = static_cast<std::size_t>(*b);
        } else {
          return configError(file, m.first,
                             fmt::format("unknown key `logs.record_metadata.{}` (known: labels, "
                                         "annotations, max_value_bytes, max_bytes)",
                                         mk));
        }
      }
    } else if (key == "rate_limit") {
      if (!v.IsMap()) return configError(file, v, "`logs.rate_limit` must be a mapping");
      RateLimit rl;
      for (const auto& r : v) {
        const std::string rk = r.first.IsScalar() ? r.first.Scalar() : std::string();
        if (rk == "lines_per_second") {
          KEELSON_TRY(n, numberOf(r.second, "rate_limit.lines_per_second"));
          rl.lines_per_second = *n;
        } else if (rk == "burst") {
          KEELSON_TRY(n, numberOf(r.second, "rate_limit.burst"));
          rl.burst = *n;
        } else {
          return configError(
              file, r.first,
              fmt::format("unknown key `logs.rate_limit.{}` (known: lines_per_second, burst)", rk));
        }
      }
      if (rl.lines_per_second <= 0) {
        return configError(file, v, "`logs.rate_limit` needs `lines_per_second`");
      }
      if (rl.burst <= 0) rl.burst = rl.lines_per_second;
      cfg.rate_limit = rl;
    } else if (key == "kafka") {
      if (!v.IsMap()) return configError(file, v, "`logs.kafka` must be a mapping");
      for (const auto& k : v) {
        const std::string kk = k.first.IsScalar() ? k.first.Scalar() : std::string();
        if (kk == "compression") {
          KEELSON_TRY(s, needScalar(k.second, "kafka.compression"));
          static const std::set<std::string> kCodecs = {"none", "gzip", "snappy", "lz4", "zstd"};
          if (!kCodecs.contains(*s)) {
            return configError(
                file, k.second,
                fmt::format("`logs.kafka.compression`: '{}' is not one of none, gzip, "
                            "snappy, lz4, zstd",
                            *s));
          }
          cfg.kafka_compression = *s;
        } else if (kk == "linger_ms") {
          KEELSON_TRY(n, numberOf(k.second, "kafka.linger_ms"));
          cfg.kafka_linger_ms = static_cast<int>(*n);
        } else if (kk == "batch_bytes") {
          KEELSON_TRY(b, bytesOf(k.second, "kafka.batch_bytes", 1024));
          cfg.kafka_batch_bytes = *b;
        } else if (kk == "key") {
          KEELSON_TRY(s, needScalar(k.second, "kafka.key"));
          auto message_key = sinks::MessageKey::parse(*s);
          if (!message_key) {
            return configError(file, k.second,
                               fmt::format("`logs.kafka.key`: {}", message_key.error().message));
          }
          cfg.kafka_key = *message_key;
        } else if (kk == "properties") {
          if (!k.second.IsMap()) {
            return configError(
                file, k.second,
                "`logs.kafka.properties` must be a mapping of librdkafka properties");
          }
          for (const auto& p : k.second) {
            auto pk = scalar(p.first);
            auto pv = scalar(p.second);
            if (!pk || !pv) {
              return configError(file, p.first,
                                 "`logs.kafka.properties` values must be single values");
            }
            // `${...}` references were resolved by the config loader (agent/config_subst.h).
            cfg.kafka_properties[*pk] = *pv;
          }
        } else {
          return configError(
              file, k.first,
              fmt::format("unknown key `logs.kafka.{}` (known: compression, linger_ms, "
                          "batch_bytes, key, properties)",
                          kk));
        }
      }
    } else if (isProcessingKey(key)) {
      KEELSON_TRY(st, parseProcessingKey(key, v, file, cfg));
    } else {
      return configError(
          file, kv.first,
          fmt::format("unknown key `logs.{}` (known: enabled, inflight_budget, "
                      "checkpoint_interval, shutdown_timeout, ship_timeout, max_record_bytes, "
                      "poll_interval, batch_wait, retry_backoff, undeliverable, record_metadata, "
                      "rate_limit, kafka, "
                      "namespaces, pods, containers, multiline, parse_json, drop, redact)",
                      key));
    }
#undef KEELSON_TRY
  }
  if (auto st = checkProcessing(cfg, file); !st) return fail(st.error());
  return cfg;
}

}  // namespace keelson::agent
