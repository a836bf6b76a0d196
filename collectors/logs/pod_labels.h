// The labels and annotations the API gave for each pod, filtered by the metadata policy
// (metadata_filter.h), for the records of its files. Bounded by the pods that exist: a pod the API
// no longer lists is dropped once no file of it is tracked (its last lines are still encoded with
// its labels). Not thread-safe; the tailer's thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "collectors/logs/metadata_filter.h"

namespace keelson::logs {

class PodLabelTable {
 public:
  // The API's maps for a pod (again). Returns the filtered metadata when they differ from the
  // last call for the pod (the caller re-encodes its files and counts what was left out), nullptr
  // when they are the same (the pipeline hands every pod over whenever any pod changed: unchanged
  // pods cost a hash). A pod marked gone is listed again.
  const FilteredMetadata* update(std::string_view uid,
                                 const std::map<std::string, std::string>& labels,
                                 const std::map<std::string, std::string>& annotations,
                                 const MetadataPolicy& policy,
                                 const std::map<std::string, ContainerImage>& images = {});

  // What a new file of the pod starts with; nullptr when the API said nothing of it yet.
  const FilteredMetadata* find(std::string_view uid) const;

  // The API no longer lists the pod; it goes at the first prune where none of its files is
  // tracked. Unknown uids are ignored (false).
  bool markGone(std::string_view uid);
  void pruneGone(const std::set<std::string_view>& tracked_uids);
  bool hasGone() const { return !gone_.empty(); }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    bool set = false;
    std::uint64_t raw_hash = 0;
    FilteredMetadata filtered;
  };
  std::unordered_map<std::string, Entry> entries_;
  std::set<std::string, std::less<>> gone_;
};

// FNV-1a over length-prefixed keys and values: tells a changed pod from an unchanged one without
// keeping the raw maps (a pod's annotations can be 256 KiB).
std::uint64_t metadataHash(const std::map<std::string, std::string>& labels,
                           const std::map<std::string, std::string>& annotations,
                           const std::map<std::string, ContainerImage>& images = {});

}  // namespace keelson::logs
