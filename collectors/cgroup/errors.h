// Counts of skipped series by stable reason token (keelson_agent_collector_errors_total{reason}).
// Not thread-safe: one per scrape, owned by the scraping thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace keelson::cgroup {

// Reasons used by the collectors:
//   CgroupVanished    the cgroup disappeared between listing and reading (normal churn)
//   CgroupLimit       `cgroups: all` found more raw cgroups than one scrape reads (walkRaw)
//   NotFound          a file the metric needs is missing
//   PermissionDenied  a file or directory could not be read
//   IoError           other read errors
//   ParseError        garbage or truncated content
//   TooLarge          a pseudo-file larger than any real one
struct ErrorCounts {
  std::map<std::string, std::uint64_t, std::less<>> by_reason;

  void add(std::string_view reason, std::uint64_t n = 1) {
    auto it = by_reason.find(reason);
    if (it == by_reason.end()) it = by_reason.emplace(std::string(reason), 0).first;
    it->second += n;
  }
  std::uint64_t get(std::string_view reason) const {
    const auto it = by_reason.find(reason);
    return it == by_reason.end() ? 0 : it->second;
  }
};

}  // namespace keelson::cgroup
