#include "collectors/logs/metadata_filter.h"

#include "collectors/logs/json_escape.h"

namespace keelson::logs {

bool globMatch(std::string_view glob, std::string_view text) {
  std::size_t g = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;  // position after the last '*' seen
  std::size_t resume = 0;                     // where in `text` that '*' match is retried
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = ++g;
      resume = t;
    } else if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (star != std::string_view::npos) {
      g = star;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*')
    ++g;
  return g == glob.size();
}

bool selected(const std::vector<std::string>& globs, std::string_view key) {
  for (const auto& g : globs) {
    if (globMatch(g, key)) return true;
  }
  return false;
}

FilteredMetadata filterMetadata(const MetadataPolicy& policy,
                                const std::map<std::string, std::string>& labels,
                                const std::map<std::string, std::string>& annotations,
                                const std::map<std::string, ContainerImage>& images) {
  FilteredMetadata out;
  std::size_t used = 0;
  std::string encoded;
  const auto take = [&](const std::vector<std::string>& globs,
                        const std::map<std::string, std::string>& from,
                        std::map<std::string, std::string>& to) {
    for (const auto& [key, value] : from) {
      if (!selected(globs, key)) {
        ++out.not_selected;
        continue;
      }
      if (value.size() > policy.max_value_bytes) {
        ++out.value_too_large;
        continue;
      }
      encoded.clear();
      appendJsonString(encoded, key);
      appendJsonString(encoded, value);
      const std::size_t cost = encoded.size() + 2;  // ':' and ','
      if (used + cost > policy.max_bytes) {
        ++out.over_budget;
        continue;
      }
      used += cost;
      to.emplace(key, value);
    }
  };
  take(policy.labels, labels, out.labels);
  take(policy.annotations, annotations, out.annotations);
  // Images are not selected by key and not charged to max_bytes (one per record, like the
  // container id), but bounded like a value.
  for (const auto& [container, image] : images) {
    ContainerImage kept;
    const auto keep = [&](const std::string& from, std::string& to) {
      if (from.size() > policy.max_value_bytes) {
        ++out.value_too_large;
      } else {
        to = from;
      }
    };
    keep(image.image, kept.image);
    keep(image.image_id, kept.image_id);
    if (!kept.image.empty() || !kept.image_id.empty()) out.images.emplace(container, kept);
  }
  return out;
}

}  // namespace keelson::logs
