#include "autoscaler/simulate/simulate.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "autoscaler/policy/quantity.h"

namespace keelson::simulate {
namespace {

using policy::MetricType;
using policy::TargetType;

Failure samplesError(const std::string& file, const YAML::Node& at, const std::string& message) {
  const int line = at.IsDefined() && at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
  return fail("InvalidSamples",
              file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + message);
}

// "2026-11-20T00:00:00Z" -> Time. Only UTC ("Z") is accepted: samples are recordings, not wall
// clocks, and a fixed zone keeps replays reproducible.
std::optional<engine::Time> parseRfc3339(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char z = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z) != 7 ||
      z != 'Z' || s.size() != 20) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return engine::Time(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi) + seconds(sec));
}

}  // namespace

Result<Samples> parseSamples(std::string_view text, const std::string& file) {
  Samples out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return fail("InvalidSamples",
                file + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  try {
    if (!root.IsMap())
      return samplesError(file, root, "samples must be a mapping with interval, replicas, steps");
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = it->first.as<std::string>("");
      if (key != "interval" && key != "replicas" && key != "steps" && key != "start") {
        return samplesError(
            file, it->first,
            "unknown field \"" + key + "\"; expected interval, replicas, start, steps");
      }
    }
    if (root["interval"].IsDefined()) {
      auto ms = policy::parseDurationMillis(root["interval"].as<std::string>(""));
      if (!ms.ok() || *ms <= 0) {
        return samplesError(file, root["interval"],
                            "interval must be a positive duration such as 15s");
      }
      out.intervalMillis = *ms;
    }
    if (!root["replicas"].IsDefined()) {
      return samplesError(file, root, "replicas (the replica count at the first step) is required");
    }
    {
      const std::string r = root["replicas"].as<std::string>("");
      char* end = nullptr;
      const long v = std::strtol(r.c_str(), &end, 10);
      if (r.empty() || *end != '\0' || v < 0 || v > 1000000) {
        return samplesError(file, root["replicas"],
                            "replicas must be an integer >= 0, got \"" + r + "\"");
      }
      out.replicas = static_cast<std::int32_t>(v);
    }
    if (root["start"].IsDefined()) {
      out.start = parseRfc3339(root["start"].as<std::string>(""));
      if (!out.start) {
        return samplesError(file, root["start"],
                            "start must be an RFC 3339 UTC time such as 2026-11-20T00:00:00Z");
      }
    }
    const YAML::Node steps = root["steps"];
    if (!steps.IsDefined() || !steps.IsSequence()) {
      return samplesError(file, root, "steps must be a list of {metrics: [...]}");
    }
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const YAML::Node step = steps[i];
      const std::string where = "steps[" + std::to_string(i) + "]";
      if (!step.IsMap() || !step["metrics"].IsDefined() || !step["metrics"].IsSequence() ||
          step.size() != (step["replicas"].IsDefined() ? 2u : 1u)) {
        return samplesError(file, step,
                            where +
                                " must be {metrics: [value, ...]} (and optionally "
                                "replicas: N, the count it was recorded at)");
      }
      Samples::StepSample sample;
      if (step["replicas"].IsDefined()) {
        const std::string r = step["replicas"].as<std::string>("");
        char* end = nullptr;
        const long v = std::strtol(r.c_str(), &end, 10);
        if (r.empty() || *end != '\0' || v < 1 || v > 1000000) {
          return samplesError(file, step["replicas"], where + ".replicas must be an integer >= 1");
        }
        sample.recordedReplicas = static_cast<std::int32_t>(v);
      }
      auto& values = sample.values;
      for (const auto& v : step["metrics"]) {
        if (v.IsNull()) {
          values.push_back(std::nullopt);
          continue;
        }
        auto q = v.IsScalar() ? policy::parseQuantityMilli(v.Scalar())
                              : Result<std::int64_t>(fail("InvalidQuantity", "not a scalar"));
        if (!q.ok()) {
          return samplesError(file, v,
                              where + ".metrics: " + q.error().message + " (null = unavailable)");
        }
        values.push_back(*q);
      }
      out.steps.push_back(std::move(sample));
    }
  } catch (const std::exception& e) {
    return fail("InvalidSamples", file + ": cannot read samples: " + e.what());
  }
  return out;
}

Result<std::vector<Step>> run(const policy::Policy& policy, const Samples& samples) {
  std::vector<Step> out;
  out.reserve(samples.steps.size());
  engine::History history;
  std::int32_t replicas = samples.replicas;
  const engine::Time start = samples.start.value_or(engine::Time{});
  engine::Observations obs;
  for (std::size_t i = 0; i < samples.steps.size(); ++i) {
    const auto& sample = samples.steps[i];
    auto values = sample.values;
    if (values.size() > policy.metrics.size()) {
      return fail("InvalidSamples", "step " + std::to_string(i) + " has " +
                                        std::to_string(values.size()) +
                                        " values but the policy has " +
                                        std::to_string(policy.metrics.size()) + " metrics");
    }
    const auto offset = static_cast<std::int64_t>(i) * samples.intervalMillis;
    const engine::Time now = start + std::chrono::milliseconds(offset);
    // Samples describe ready pods only: every replica counts as ready and reporting.
    obs.specReplicas = obs.statusReplicas = obs.readyPods = obs.totalPods = replicas;
    obs.metrics.clear();
    for (std::size_t m = 0; m < policy.metrics.size(); ++m) {
      const auto& spec = policy.metrics[m];
      if (m >= values.size() || !values[m]) {
        obs.metrics.push_back(engine::MetricObservation::unavailable("no sample"));
        continue;
      }
      std::int64_t v = *values[m];
      if (spec.type == MetricType::KafkaLag || spec.target.type == TargetType::Value) {
        obs.metrics.push_back(engine::MetricObservation::total(v));
        continue;
      }
      if (sample.recordedReplicas && replicas > 0 && *sample.recordedReplicas != replicas) {
        v = static_cast<std::int64_t>(
            std::llround(static_cast<double>(v) * *sample.recordedReplicas / replicas));
        values[m] = v;
      }
      if (spec.target.type == TargetType::Utilization) {
        // A sample "85" is 85000 milli; as a percentage that is 85000 milli-percent.
        obs.metrics.push_back(engine::MetricObservation::utilization(v));
      } else {
        obs.metrics.push_back(engine::MetricObservation::average(v));
      }
    }
    engine::Decision d = engine::decide(policy, obs, history, now);
    history = std::move(d.history);
    if (d.desiredReplicas != replicas) {
      engine::recordScale(policy, history, replicas, d.desiredReplicas, now);
    }
    Step s;
    s.step = static_cast<std::int32_t>(i);
    s.offsetMillis = offset;
    s.replicas = replicas;
    s.desired = d.desiredReplicas;
    s.reason = d.reason;
    s.metrics = values;
    s.metrics.resize(policy.metrics.size());
    s.minReplicas = d.minReplicas;
    s.maxReplicas = d.maxReplicas;
    out.push_back(std::move(s));
    replicas = d.desiredReplicas;
  }
  return out;
}

std::string formatDuration(std::int64_t millis) {
  // Go's time.Duration.String() for whole milliseconds: "0s", "15s", "1m30s", "1h0m0s", "1.5s".
  if (millis == 0) return "0s";
  std::string out;
  if (millis < 0) {
    out = "-";
    millis = -millis;
  }
  const std::int64_t h = millis / 3600000;
  const std::int64_t m = millis / 60000 % 60;
  const std::int64_t s = millis / 1000 % 60;
  const std::int64_t ms = millis % 1000;
  if (millis < 1000) return out + std::to_string(ms) + "ms";
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (ms != 0) {
    std::string frac = std::to_string(ms + 1000).substr(1);
    while (!frac.empty() && frac.back() == '0')
      frac.pop_back();
    out += "." + frac;
  }
  return out + "s";
}

std::string formatStep(const Step& s) {
  std::string out;
  out.reserve(96);
  out += "{\"step\":" + std::to_string(s.step);
  out += ",\"time\":\"" + formatDuration(s.offsetMillis) + "\"";
  out += ",\"replicas\":" + std::to_string(s.replicas);
  out += ",\"desired\":" + std::to_string(s.desired);
  out += ",\"reason\":\"" + s.reason + "\"}";
  return out;
}

}  // namespace keelson::simulate
