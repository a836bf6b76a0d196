#include "collectors/cgroup/spec_cache.h"

#include <functional>

namespace keelson::cgroup {

SpecCache::Clock::time_point SpecCache::expiry(const std::string& path,
                                               Clock::time_point now) const {
  // A fixed fraction of ttl/2 per path: deterministic (testable) and spread across cgroups.
  constexpr std::size_t kSteps = 1024;
  const auto step = (std::hash<std::string>{}(path) % kSteps);
  const auto half = ttl_ / 2;
  return now + half + half * static_cast<long>(step) / static_cast<long>(kSteps);
}

const CgroupSpec* SpecCache::find(const std::string& path, std::uint64_t ino,
                                  Clock::time_point now) {
  const auto it = entries_.find(path);
  if (it == entries_.end()) return nullptr;
  if (it->second.ino != ino) {
    entries_.erase(it);
    return nullptr;
  }
  it->second.seen = true;
  if (now >= it->second.expires) return nullptr;
  return &it->second.spec;
}

void SpecCache::store(const std::string& path, std::uint64_t ino, Clock::time_point now,
                      const CgroupSpec& spec) {
  Entry& e = entries_[path];
  e.ino = ino;
  e.expires = expiry(path, now);
  e.spec = spec;
  e.seen = true;
}

std::optional<long> SpecCache::netPid(const std::string& path, std::uint64_t ino,
                                      Clock::time_point now) {
  const auto it = entries_.find(path);
  if (it == entries_.end() || it->second.ino != ino || now >= it->second.net_pid_expires) {
    return std::nullopt;
  }
  return it->second.net_pid;
}

void SpecCache::storeNetPid(const std::string& path, std::uint64_t ino, Clock::time_point now,
                            long pid) {
  const auto it = entries_.find(path);
  if (it == entries_.end() || it->second.ino != ino) return;
  it->second.net_pid = pid;
  it->second.net_pid_expires = expiry(path, now);
}

void SpecCache::forgetNetPid(const std::string& path) {
  const auto it = entries_.find(path);
  if (it != entries_.end()) it->second.net_pid.reset();
}

void SpecCache::sweep() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.seen) {
      it = entries_.erase(it);
    } else {
      it->second.seen = false;
      ++it;
    }
  }
}

}  // namespace keelson::cgroup
