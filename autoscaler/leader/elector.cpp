#include "autoscaler/leader/elector.h"

#include <random>

#include "collectors/kube/api.h"

namespace keelson::leader {
namespace {

using nlohmann::json;

std::int64_t unixMicros(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::string recordKey(const json& spec) {
  return spec.value("holderIdentity", "") + "|" + spec.value("renewTime", "") + "|" +
         std::to_string(spec.value("leaseTransitions", 0));
}

}  // namespace

std::string makeIdentity(const std::string& podName) {
  std::random_device device;
  std::uniform_int_distribution<std::uint32_t> dist;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", dist(device));
  return podName + "_" + suffix;
}

bool LeaderElector::step(TimePoint now) {
  const bool ok = tryAcquireOrRenew(now);
  if (ok) {
    if (!leader_) {
      leader_ = true;
    }
    last_renew_ = now;
  } else if (leader_ && now - last_renew_ >= config_.renew_deadline) {
    // client-go: failing to renew for renewDeadline means someone else may soon acquire; stop.
    leader_ = false;
  }
  next_step_ = now + config_.retry_period;
  return isLeader(now);
}

bool LeaderElector::isLeader(TimePoint now) const {
  return leader_ && now - last_renew_ < config_.renew_deadline;
}

std::optional<std::string> LeaderElector::takeAcquiredState() {
  auto out = std::move(acquired_state_);
  acquired_state_.reset();
  return out;
}

bool LeaderElector::tryAcquireOrRenew(TimePoint now) {
  const std::string nowText = kube::formatMicroTime(unixMicros(now));
  const int durationSeconds = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(config_.lease_duration).count());
  auto current = store_.get(config_.name);
  if (!current) {
    if (current.error().reason != "NotFound") {
      last_error_ = current.error().message;
      return false;
    }
    json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
                  {"spec",
                   {{"holderIdentity", config_.identity},
                    {"leaseDurationSeconds", durationSeconds},
                    {"acquireTime", nowText},
                    {"renewTime", nowText},
                    {"leaseTransitions", 0}}}};
    auto created = store_.create(lease);
    if (!created) {
      last_error_ = created.error().message;
      return false;
    }
    lease_ = std::move(created).value();
    observed_record_ = recordKey(lease_["spec"]);
    observed_time_ = now;
    if (!leader_) acquired_state_ = std::string();
    return true;
  }
  json lease = std::move(current).value();
  json spec = lease.value("spec", json::object());
  const std::string holder = spec.value("holderIdentity", "");
  const std::string key = recordKey(spec);
  if (key != observed_record_) {
    observed_record_ = key;
    observed_time_ = now;
  }
  const bool mine = holder == config_.identity;
  if (!mine && !holder.empty()) {
    const int leaseSeconds = spec.value("leaseDurationSeconds", durationSeconds);
    if (now < observed_time_ + std::chrono::seconds(leaseSeconds)) {
      last_error_ = "lease held by " + holder;
      leader_ = false;
      return false;
    }
  }
  const bool acquiring = !mine || !leader_;
  std::string previousState;
  auto& metadata = lease["metadata"];
  if (metadata.contains("annotations") && metadata["annotations"].is_object() &&
      metadata["annotations"].contains(kStateAnnotation)) {
    if (metadata["annotations"][kStateAnnotation].is_string()) {
      previousState = metadata["annotations"][kStateAnnotation].get<std::string>();
    }
    // Only the replica that takes the Lease over hands the old annotation on; a leader renewing
    // has already taken it.
    if (!acquiring) previousState.clear();
    metadata["annotations"].erase(kStateAnnotation);
  }
  if (!mine) {
    spec["acquireTime"] = nowText;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = durationSeconds;
  spec["renewTime"] = nowText;
  lease["spec"] = spec;
  auto replaced = store_.replace(lease);
  if (!replaced) {
    last_error_ = replaced.error().message;
    return false;
  }
  lease_ = std::move(replaced).value();
  observed_record_ = recordKey(lease_.value("spec", json::object()));
  observed_time_ = now;
  if (acquiring) acquired_state_ = previousState;
  return true;
}

void LeaderElector::release(TimePoint now) {
  if (!isLeader(now) || lease_.is_null()) return;
  json lease = lease_;
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  lease["spec"]["renewTime"] = kube::formatMicroTime(unixMicros(now));
  (void)store_.replace(lease);
  leader_ = false;
}

}  // namespace keelson::leader
