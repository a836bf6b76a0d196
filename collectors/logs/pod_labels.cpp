#include "collectors/logs/pod_labels.h"

#include "collectors/common/fnv1a.h"

namespace keelson::logs {

std::uint64_t metadataHash(const std::map<std::string, std::string>& labels,
                           const std::map<std::string, std::string>& annotations,
                           const std::map<std::string, ContainerImage>& images) {
  std::uint64_t h = kFnv1aOffset;
  // Each field prefixed by its length (8 bytes, little-endian), so no two splits hash alike.
  const auto mix = [&h](std::string_view bytes) {
    const std::uint64_t n = bytes.size();
    char length[8];
    for (int i = 0; i < 8; ++i)
      length[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    h = fnv1a(bytes, fnv1a(std::string_view(length, sizeof length), h));
  };
  for (const auto* map : {&labels, &annotations}) {
    mix(std::to_string(map->size()));
    for (const auto& [k, v] : *map) {
      mix(k);
      mix(v);
    }
  }
  mix(std::to_string(images.size()));
  for (const auto& [container, image] : images) {
    mix(container);
    mix(image.image);
    mix(image.image_id);
  }
  return h;
}

const FilteredMetadata* PodLabelTable::update(std::string_view uid,
                                              const std::map<std::string, std::string>& labels,
                                              const std::map<std::string, std::string>& annotations,
                                              const MetadataPolicy& policy,
                                              const std::map<std::string, ContainerImage>& images) {
  const std::string key(uid);
  gone_.erase(key);
  const std::uint64_t hash = metadataHash(labels, annotations, images);
  auto& entry = entries_[key];
  if (entry.set && entry.raw_hash == hash) return nullptr;
  entry = Entry{true, hash, filterMetadata(policy, labels, annotations, images)};
  return &entry.filtered;
}

const FilteredMetadata* PodLabelTable::find(std::string_view uid) const {
  const auto it = entries_.find(std::string(uid));
  return it == entries_.end() ? nullptr : &it->second.filtered;
}

bool PodLabelTable::markGone(std::string_view uid) {
  const std::string key(uid);
  if (!entries_.contains(key)) return false;
  gone_.insert(key);
  return true;
}

void PodLabelTable::pruneGone(const std::set<std::string_view>& tracked_uids) {
  for (auto it = gone_.begin(); it != gone_.end();) {
    if (tracked_uids.contains(*it)) {
      ++it;
      continue;
    }
    entries_.erase(*it);
    it = gone_.erase(it);
  }
}

}  // namespace keelson::logs
