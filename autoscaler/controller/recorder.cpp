#include "autoscaler/controller/recorder.h"

#include <fmt/format.h>

#include "autoscaler/simulate/simulate.h"

namespace keelson::controller {
namespace {

// A milli-unit value as a quantity the samples parser reads back exactly.
std::string quantity(std::int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

}  // namespace

std::string formatRfc3339(engine::Time t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto days = floor<std::chrono::days>(secs);
  const year_month_day ymd{days};
  const hh_mm_ss<seconds> hms{secs - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string formatRecordedStep(const policy::Policy& policy, const engine::Observations& obs,
                               const engine::Decision& decision) {
  std::string metrics;
  std::string pods;
  bool anyPods = false;
  for (std::size_t i = 0; i < policy.metrics.size(); ++i) {
    if (i > 0) {
      metrics += ", ";
      pods += ", ";
    }
    const engine::MetricResult* result =
        i < decision.metrics.size() ? &decision.metrics[i] : nullptr;
    if (result == nullptr || !result->available) {
      metrics += "null";
    } else if (policy.metrics[i].target.type == policy::TargetType::Utilization) {
      metrics += std::to_string(result->current);  // the HPA's integer percent
    } else {
      metrics += quantity(result->current);
    }
    const engine::MetricObservation* o = i < obs.metrics.size() ? &obs.metrics[i] : nullptr;
    if (o == nullptr || o->shape != engine::MetricObservation::Shape::PerPod) {
      pods += "null";
      continue;
    }
    anyPods = true;
    pods += "[";
    for (std::size_t p = 0; p < o->pods.size(); ++p) {
      const auto& pod = o->pods[p];
      pods += fmt::format("{}[{}, {}, {}]", p > 0 ? ", " : "", simulate::toString(pod.group),
                          quantity(pod.value_milli),
                          pod.request_milli ? quantity(*pod.request_milli) : "null");
    }
    pods += "]";
  }
  std::string out =
      fmt::format("replicas: {}, status: {}, ready: {}, total: {}, metrics: [{}]",
                  obs.spec_replicas, obs.status_replicas, obs.ready_pods, obs.total_pods, metrics);
  if (anyPods) out += ", pods: [" + pods + "]";
  out +=
      fmt::format("}}  # controller: desired {} ({})", decision.desired_replicas, decision.reason);
  return out;
}

void SampleRecorder::record(const policy::Policy& policy, std::chrono::milliseconds period,
                            engine::Time now, const engine::Observations& obs,
                            const engine::Decision& decision) {
  if (max_steps_ == 0) return;
  Step step{now, obs.spec_replicas, formatRecordedStep(policy, obs, decision)};
  std::lock_guard lock(mu_);
  auto& recording = recordings_[policy.key()];
  recording.period = period;
  if (!recording.steps.empty() && recording.steps.back().at > now) recording.steps.clear();
  recording.steps.push_back(std::move(step));
  while (recording.steps.size() > max_steps_)
    recording.steps.pop_front();
}

void SampleRecorder::retain(const std::set<std::string>& keys) {
  std::lock_guard lock(mu_);
  for (auto it = recordings_.begin(); it != recordings_.end();) {
    it = keys.count(it->first) ? std::next(it) : recordings_.erase(it);
  }
}

std::string SampleRecorder::renderLocked(const std::string& key, const Recording& recording) const {
  if (recording.steps.empty()) return "";
  const auto start = std::chrono::floor<std::chrono::seconds>(recording.steps.front().at);
  std::string out = fmt::format(
      "# policy: {} (recorded by keelson-autoscaler run --record-steps; replay with\n"
      "# keelson-autoscaler simulate --policy POLICY.yaml --samples THIS_FILE)\n"
      "interval: {}\nreplicas: {}\nstart: {}\nsteps:\n",
      key, simulate::formatDuration(recording.period.count()), recording.steps.front().replicas,
      formatRfc3339(start));
  for (const auto& step : recording.steps) {
    const auto offset = std::chrono::duration_cast<std::chrono::milliseconds>(step.at - start);
    out += fmt::format("  - {{time: {}ms, {}\n", offset.count(), step.rest);
  }
  return out;
}

std::string SampleRecorder::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [key, recording] : recordings_) {
    if (recording.steps.empty()) continue;
    if (!out.empty()) out += "---\n";
    out += renderLocked(key, recording);
  }
  return out;
}

std::string SampleRecorder::render(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = recordings_.find(key);
  return it == recordings_.end() ? "" : renderLocked(key, it->second);
}

}  // namespace keelson::controller
