#include "autoscaler/simulate/simulate.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "autoscaler/engine/saturate.h"
#include "autoscaler/policy/quantity.h"
#include "collectors/common/yaml.h"

namespace keelson::simulate {
namespace {

using policy::TargetType;

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

constexpr std::int64_t kMaxIntervalMillis = 24LL * 3600 * 1000;

// Samples files are long (a week of 15 s steps is 40,320 steps), so they are read from yaml-cpp's
// event stream instead of a node tree: half the time and a fraction of the memory.
class SamplesReader : public YAML::EventHandler {
 public:
  SamplesReader(const std::string& file, Samples& out) : file_(file), out_(out) {}

  std::optional<std::string> error() const { return error_; }

  // Checks what only the end of the document can tell.
  void finish() {
    if (error_) return;
    if (!saw_root_) return fail(1, "samples must be a mapping with interval, replicas, steps");
    if (!saw_replicas_) {
      return fail(root_line_, "replicas (the replica count at the first step) is required");
    }
    if (!saw_steps_) return fail(root_line_, "steps must be a list of {metrics: [...]}");
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string&) override {}
  // yaml::stream expands aliases (PyYAML writes `*id001` for a repeated step) before they get here.
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(line(mark), "unexpected alias");
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { value(mark, std::nullopt); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& text) override {
    value(mark, text);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    if (error_) return;
    if (state_ == State::RootValue && key_ == "steps") {
      state_ = State::Steps;
      saw_steps_ = true;
    } else if (state_ == State::StepValue && key_ == "metrics") {
      state_ = State::Metrics;
      saw_metrics_ = true;
    } else if (state_ == State::StepValue && key_ == "pods") {
      state_ = State::Pods;
    } else if (state_ == State::Pods) {
      state_ = State::PodsMetric;
      step_.pods.emplace_back(std::vector<engine::PodSample>{});
    } else if (state_ == State::PodsMetric) {
      state_ = State::PodTuple;
      tuple_.clear();
    } else {
      unexpected(mark, "a list");
    }
  }
  void OnSequenceEnd() override {
    if (error_) return;
    if (state_ == State::Metrics || state_ == State::Pods) {
      state_ = State::StepKey;
    } else if (state_ == State::PodsMetric) {
      state_ = State::Pods;
    } else if (state_ == State::PodTuple) {
      state_ = State::PodsMetric;
      podSample();
    } else if (state_ == State::Steps) {
      state_ = State::RootKey;
    }
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    if (error_) return;
    if (state_ == State::Start) {
      state_ = State::RootKey;
      saw_root_ = true;
      root_line_ = line(mark);
    } else if (state_ == State::Steps) {
      state_ = State::StepKey;
      step_ = Samples::StepSample{};
      step_line_ = line(mark);
      saw_metrics_ = false;
    } else {
      unexpected(mark, "a mapping");
    }
  }
  void OnMapEnd() override {
    if (error_) return;
    if (state_ == State::StepKey) {
      if (!saw_metrics_) {
        return fail(step_line_, stepName() +
                                    " must be {metrics: [value, ...]} (and optionally "
                                    "replicas: N, the count it was recorded at)");
      }
      out_.steps.push_back(std::move(step_));
      state_ = State::Steps;
    } else if (state_ == State::RootKey) {
      state_ = State::Done;
    }
  }

 private:
  enum class State {
    Start,
    RootKey,
    RootValue,
    Steps,
    StepKey,
    StepValue,
    Metrics,
    Pods,        // steps[].pods: one entry per metric
    PodsMetric,  // one metric's pods
    PodTuple,    // [group, value, request]
    Done
  };

  // Bounds a recording's per-step pod lists (the controller lists at most this many pods).
  static constexpr std::size_t kMaxPods = 100000;

  // Completes one `[group, value, request]` of steps[].pods.
  void podSample() {
    auto& list = *step_.pods.back();
    const std::string where = stepName() + ".pods[" + std::to_string(step_.pods.size() - 1) + "][" +
                              std::to_string(list.size()) + "]";
    if (tuple_.size() != 3 || !tuple_[0] || !tuple_[1]) {
      return fail(tuple_line_, where + " must be [group, value, request] (request may be null)");
    }
    engine::PodSample pod;
    pod.name = "pod" + std::to_string(list.size());
    const std::string& group = *tuple_[0];
    if (group == "ready") {
      pod.group = engine::PodGroup::Ready;
    } else if (group == "unready") {
      pod.group = engine::PodGroup::Unready;
    } else if (group == "missing") {
      pod.group = engine::PodGroup::Missing;
    } else if (group == "ignored") {
      pod.group = engine::PodGroup::Ignored;
    } else {
      return fail(
          tuple_line_,
          where + ": group must be ready, unready, missing or ignored, got \"" + group + "\"");
    }
    auto value = policy::parseQuantityMilli(*tuple_[1]);
    if (!value.ok()) return fail(tuple_line_, where + ": value: " + value.error().message);
    pod.value_milli = *value;
    if (tuple_[2]) {
      auto request = policy::parseQuantityMilli(*tuple_[2]);
      if (!request.ok()) return fail(tuple_line_, where + ": request: " + request.error().message);
      pod.request_milli = *request;
    }
    if (list.size() >= kMaxPods) {
      return fail(tuple_line_, where + ": more than " + std::to_string(kMaxPods) + " pods");
    }
    list.push_back(std::move(pod));
  }

  static int line(const YAML::Mark& mark) { return mark.line + 1; }
  std::string stepName() const { return "steps[" + std::to_string(out_.steps.size()) + "]"; }

  void fail(int at, const std::string& message) {
    if (!error_) error_ = file_ + ":" + std::to_string(at) + ": " + message;
  }
  void unexpected(const YAML::Mark& mark, const char* what) {
    switch (state_) {
      case State::Start:
        return fail(line(mark), "samples must be a mapping with interval, replicas, steps");
      case State::Steps:
        return fail(line(mark), stepName() + " must be {metrics: [value, ...]}");
      case State::Metrics:
        return fail(line(mark),
                    stepName() + ".metrics holds " + what + "; write one value per metric");
      default:
        return fail(line(mark), key_ + " cannot be " + what);
    }
  }

  static std::optional<std::int32_t> count(const std::optional<std::string>& text, long min) {
    if (!text || text->empty()) return std::nullopt;
    char* end = nullptr;
    const long v = std::strtol(text->c_str(), &end, 10);
    if (*end != '\0' || v < min || v > 1000000) return std::nullopt;
    return static_cast<std::int32_t>(v);
  }

  void value(const YAML::Mark& mark, const std::optional<std::string>& text) {
    if (error_) return;
    const int at = line(mark);
    switch (state_) {
      case State::RootKey:
        key_ = text.value_or("");
        if (key_ != "interval" && key_ != "replicas" && key_ != "steps" && key_ != "start") {
          return fail(at,
                      "unknown field \"" + key_ + "\"; expected interval, replicas, start, steps");
        }
        state_ = State::RootValue;
        return;
      case State::RootValue:
        state_ = State::RootKey;
        if (key_ == "interval") {
          auto ms = text ? policy::parseDurationMillis(*text)
                         : Result<std::int64_t>(keelson::fail("InvalidDuration", ""));
          if (!ms.ok() || *ms <= 0) {
            return fail(at, "interval must be a positive duration such as 15s");
          }
          // Bounds step x interval far inside int64 milliseconds for any file that parses.
          if (*ms > kMaxIntervalMillis) {
            return fail(at, "interval must be at most 24h, got \"" + text.value_or("") + "\"");
          }
          out_.interval_millis = *ms;
        } else if (key_ == "replicas") {
          const auto r = count(text, 0);
          if (!r) {
            return fail(at, "replicas must be an integer >= 0, got \"" + text.value_or("") + "\"");
          }
          out_.replicas = *r;
          saw_replicas_ = true;
        } else if (key_ == "start") {
          out_.start = text ? parseRfc3339(*text) : std::nullopt;
          if (!out_.start) {
            return fail(at, "start must be an RFC 3339 UTC time such as 2026-11-20T00:00:00Z");
          }
        } else {
          return fail(at, "steps must be a list of {metrics: [...]}");
        }
        return;
      case State::StepKey:
        key_ = text.value_or("");
        if (key_ != "metrics" && key_ != "replicas" && key_ != "time" && key_ != "status" &&
            key_ != "ready" && key_ != "total" && key_ != "pods") {
          return fail(at, stepName() + ": unknown field \"" + key_ +
                              "\"; expected metrics, replicas (recordings also: time, status, "
                              "ready, total, pods)");
        }
        state_ = State::StepValue;
        return;
      case State::StepValue: {
        state_ = State::StepKey;
        if (key_ == "metrics") return fail(at, stepName() + ".metrics must be a list of values");
        if (key_ == "pods") {
          if (!text) return;  // null: not recorded
          return fail(at, stepName() + ".pods must be a list (one per metric) of pod lists");
        }
        if (key_ == "time") {
          auto ms = text ? policy::parseDurationMillis(*text)
                         : Result<std::int64_t>(keelson::fail("InvalidDuration", ""));
          if (!ms.ok() || *ms < 0) {
            return fail(at, stepName() + ".time must be a duration since the start such as 15s");
          }
          if (*ms < last_offset_) {
            return fail(at, stepName() + ".time goes back: steps must be in time order");
          }
          if (*ms > kMaxIntervalMillis * 1000000) {
            return fail(at, stepName() + ".time is beyond the bound of a recording");
          }
          last_offset_ = *ms;
          step_.offset_millis = *ms;
          return;
        }
        if (key_ == "status" || key_ == "ready" || key_ == "total") {
          const auto n = count(text, 0);
          if (!n) return fail(at, stepName() + "." + key_ + " must be an integer >= 0");
          (key_ == "status"  ? step_.status_replicas
           : key_ == "ready" ? step_.ready_pods
                             : step_.total_pods) = *n;
          return;
        }
        const auto r = count(text, 0);
        if (!r) return fail(at, stepName() + ".replicas must be an integer >= 0");
        step_.recorded_replicas = *r;
        return;
      }
      case State::Metrics: {
        if (!text) {
          step_.values.push_back(std::nullopt);
          return;
        }
        auto q = policy::parseQuantityMilli(*text);
        if (!q.ok()) {
          return fail(at, stepName() + ".metrics: " + q.error().message + " (null = unavailable)");
        }
        step_.values.push_back(*q);
        return;
      }
      case State::Pods:
        if (!text) {
          step_.pods.emplace_back(std::nullopt);
          return;
        }
        return fail(at, stepName() + ".pods[" + std::to_string(step_.pods.size()) +
                            "] must be a list of [group, value, request] or null");
      case State::PodsMetric:
        return fail(at, stepName() + ".pods holds a scalar where [group, value, request] belongs");
      case State::PodTuple:
        if (tuple_.empty()) tuple_line_ = at;
        if (tuple_.size() < 4) tuple_.push_back(text);
        return;
      case State::Start:
        return fail(at, "samples must be a mapping with interval, replicas, steps");
      case State::Steps:
        return fail(at, stepName() + " must be {metrics: [value, ...]}");
      case State::Done:
        return;
    }
  }

  const std::string& file_;
  Samples& out_;
  State state_ = State::Start;
  std::string key_;
  Samples::StepSample step_;
  std::vector<std::optional<std::string>> tuple_;
  int tuple_line_ = 1;
  std::int64_t last_offset_ = 0;
  int root_line_ = 1;
  int step_line_ = 1;
  bool saw_root_ = false;
  bool saw_replicas_ = false;
  bool saw_steps_ = false;
  bool saw_metrics_ = false;
  std::optional<std::string> error_;
};

}  // namespace

Result<Samples> parseSamples(std::string_view text, const std::string& file) {
  Samples out;
  SamplesReader reader(file, out);
  if (auto problem = yaml::stream(text, reader)) {
    // The reader's own error came first in the file when it has one.
    if (auto error = reader.error()) return fail("InvalidSamples", *error);
    if (problem->reason == "InvalidYaml") problem->message = "invalid YAML: " + problem->message;
    return fail("InvalidSamples", problem->format(file));
  }
  reader.finish();
  if (auto error = reader.error()) return fail("InvalidSamples", *error);
  return out;
}

const char* toString(engine::PodGroup group) {
  switch (group) {
    case engine::PodGroup::Ready:
      return "ready";
    case engine::PodGroup::Unready:
      return "unready";
    case engine::PodGroup::Missing:
      return "missing";
    case engine::PodGroup::Ignored:
      return "ignored";
  }
  return "ready";
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
    if (sample.pods.size() > policy.metrics.size()) {
      return fail("InvalidSamples", "step " + std::to_string(i) + " has pods of " +
                                        std::to_string(sample.pods.size()) +
                                        " metrics but the policy has " +
                                        std::to_string(policy.metrics.size()) + " metrics");
    }
    const auto offset =
        sample.offset_millis.value_or(static_cast<std::int64_t>(i) * samples.interval_millis);
    const engine::Time now = start + std::chrono::milliseconds(offset);
    // A recording's pod-level facts apply while the replay follows it (same replica count).
    const bool follows = !sample.recorded_replicas || *sample.recorded_replicas == replicas;
    // Samples describe ready pods only: every replica counts as ready and reporting.
    obs.spec_replicas = obs.status_replicas = obs.ready_pods = obs.total_pods = replicas;
    if (follows) {
      obs.status_replicas = sample.status_replicas.value_or(replicas);
      obs.ready_pods = sample.ready_pods.value_or(replicas);
      obs.total_pods = sample.total_pods.value_or(replicas);
    }
    obs.metrics.clear();
    for (std::size_t m = 0; m < policy.metrics.size(); ++m) {
      const auto& spec = policy.metrics[m];
      if (follows && m < sample.pods.size() && sample.pods[m] && spec.type.traits().per_pod) {
        obs.metrics.push_back(engine::MetricObservation::perPod(*sample.pods[m]));
        continue;
      }
      if (m >= values.size() || !values[m]) {
        obs.metrics.push_back(engine::MetricObservation::unavailable("no sample"));
        continue;
      }
      std::int64_t v = *values[m];
      if (spec.type.traits().samples_are_totals || spec.target.type == TargetType::Value) {
        obs.metrics.push_back(engine::MetricObservation::total(v));
        continue;
      }
      if (sample.recorded_replicas && replicas > 0 && *sample.recorded_replicas != replicas) {
        v = engine::saturate64(
            std::round(static_cast<double>(v) * *sample.recorded_replicas / replicas));
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
    if (d.desired_replicas != replicas) {
      engine::recordScale(policy, history, replicas, d.desired_replicas, now);
    }
    Step s;
    s.step = static_cast<std::int32_t>(i);
    s.offset_millis = offset;
    s.replicas = replicas;
    s.desired = d.desired_replicas;
    s.reason = d.reason;
    s.metrics = values;
    s.metrics.resize(policy.metrics.size());
    s.recommended = d.metric_replicas;
    s.min_replicas = d.min_replicas;
    s.max_replicas = d.max_replicas;
    out.push_back(std::move(s));
    replicas = d.desired_replicas;
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
  out += ",\"time\":\"" + formatDuration(s.offset_millis) + "\"";
  out += ",\"replicas\":" + std::to_string(s.replicas);
  out += ",\"desired\":" + std::to_string(s.desired);
  out += ",\"reason\":\"" + s.reason + "\"}";
  return out;
}

}  // namespace keelson::simulate
