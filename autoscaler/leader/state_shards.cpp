#include "autoscaler/leader/state_shards.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "collectors/common/fnv1a.h"

namespace keelson::leader {
namespace {

using nlohmann::json;

std::size_t ceilPowerOfTwo(std::size_t n) {
  std::size_t p = 1;
  while (p < n)
    p *= 2;
  return p;
}

struct Entry {
  const std::string* key;
  std::string text;  // "<key as JSON string>:<history>"
};

}  // namespace

std::string shardName(const std::string& lease, std::size_t index) {
  return fmt::format("{}-state-{}", lease, index);
}

std::size_t shardIndex(std::string_view key, std::size_t count) {
  return count == 0 ? 0 : static_cast<std::size_t>(fnv1a(key) % count);
}

ShardPlan planShards(const PersistedState& state, std::size_t min_count, std::size_t max_bytes,
                     std::size_t max_shards) {
  ShardPlan plan;
  std::vector<Entry> entries;
  entries.reserve(state.size());
  for (const auto& [key, history] : state) {
    Entry entry{&key, json(key).dump() + ":" + history};
    // "{" entry "}" must fit on its own.
    if (entry.text.size() + 2 > max_bytes) {
      plan.left_out.push_back(key);
      continue;
    }
    entries.push_back(std::move(entry));
  }
  if (entries.empty() && min_count == 0) {
    std::sort(plan.left_out.begin(), plan.left_out.end());
    return plan;
  }
  const std::size_t cap = std::max<std::size_t>(1, max_shards);
  std::size_t count = std::min(cap, ceilPowerOfTwo(std::max<std::size_t>(1, min_count)));
  std::vector<std::vector<const Entry*>> buckets;
  const auto bytesOf = [](const std::vector<const Entry*>& bucket) {
    std::size_t bytes = 2;
    for (const Entry* e : bucket)
      bytes += e->text.size();
    return bytes + (bucket.empty() ? 0 : bucket.size() - 1);
  };
  for (;;) {
    buckets.assign(count, {});
    for (const Entry& e : entries)
      buckets[shardIndex(*e.key, count)].push_back(&e);
    const bool fits = std::all_of(buckets.begin(), buckets.end(),
                                  [&](const auto& b) { return bytesOf(b) <= max_bytes; });
    if (fits || count * 2 > cap) break;
    count *= 2;
  }
  for (auto& bucket : buckets) {
    // At the shard limit: leave the largest histories out until the shard fits.
    while (bytesOf(bucket) > max_bytes) {
      auto largest = std::max_element(
          bucket.begin(), bucket.end(),
          [](const Entry* a, const Entry* b) { return a->text.size() < b->text.size(); });
      plan.left_out.push_back(*(*largest)->key);
      bucket.erase(largest);
    }
    std::string text = "{";
    for (const Entry* e : bucket) {
      if (text.size() > 1) text += ',';
      text += e->text;
    }
    text += '}';
    plan.texts.push_back(std::move(text));
  }
  std::sort(plan.left_out.begin(), plan.left_out.end());
  return plan;
}

Status parseShard(const std::string& name, const std::string& text, PersistedState& into) {
  if (text.empty()) return {};
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return fail("InvalidState", fmt::format("lease {}: annotation {} is not a JSON object", name,
                                            kStateAnnotation));
  }
  for (const auto& [key, history] : parsed.items()) {
    if (history.is_object()) into[key] = history.dump();
  }
  return {};
}

namespace {

std::string annotationOf(const json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  const auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return "";
  const auto value = annotations->find(kStateAnnotation);
  return value != annotations->end() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace

Result<PersistedState> ShardedState::load() {
  PersistedState state;
  texts_.clear();
  objects_.clear();
  for (std::size_t i = 0; i < kMaxShards; ++i) {
    const std::string name = shardName(lease_, i);
    auto object = store_.get(name);
    if (!object) {
      if (object.error().reason == "NotFound") break;
      return fail(object.error().reason, fmt::format("cannot read the persisted state from lease "
                                                     "{}/{}: {}",
                                                     ns_, name, object.error().message));
    }
    std::string text = annotationOf(*object);
    if (auto parsed = parseShard(ns_ + "/" + name, text, state); !parsed) {
      // A damaged shard loses its histories, not the others'; it is rewritten at the next write.
      text = "\x01unreadable";
    }
    texts_.push_back(std::move(text));
    objects_.push_back(std::move(object).value());
  }
  return state;
}

Status ShardedState::put(std::size_t index, const std::string& text) {
  const std::string name = shardName(lease_, index);
  json& known = objects_[index];
  const auto replaceWith = [&](json object) -> Result<json> {
    object["metadata"]["annotations"][kStateAnnotation] = text;
    return store_.replace(object);
  };
  Result<json> written = fail("NotFound", "");
  if (!known.is_null()) {
    written = replaceWith(known);
    if (!written && written.error().reason == "Conflict") {
      // Someone wrote it since (a deposed leader finishing a write): read it again and retry once.
      auto fresh = store_.get(name);
      written = fresh ? replaceWith(std::move(fresh).value()) : Result<json>(fail(fresh.error()));
    }
  }
  if (!written && written.error().reason == "NotFound") {
    json object = {{"apiVersion", "coordination.k8s.io/v1"},
                   {"kind", "Lease"},
                   {"metadata",
                    {{"name", name},
                     {"namespace", ns_},
                     {"labels", {{"app.kubernetes.io/managed-by", "keelson-autoscaler"}}},
                     {"annotations", {{kStateAnnotation, text}}}}},
                   {"spec", json::object()}};
    written = store_.create(object);
    if (!written && written.error().reason == "AlreadyExists") {
      auto fresh = store_.get(name);
      written = fresh ? replaceWith(std::move(fresh).value()) : Result<json>(fail(fresh.error()));
    }
  }
  if (!written) {
    return fail(written.error().reason, fmt::format("cannot write the persisted state to lease "
                                                    "{}/{}: {}",
                                                    ns_, name, written.error().message));
  }
  known = std::move(written).value();
  texts_[index] = text;
  return {};
}

Result<ShardedState::Written> ShardedState::write(const PersistedState& state,
                                                  std::size_t max_bytes) {
  ShardPlan plan = planShards(state, texts_.size(), max_bytes);
  Written out;
  out.left_out = std::move(plan.left_out);
  if (texts_.size() < plan.texts.size()) {
    texts_.resize(plan.texts.size(), "\x01unwritten");
    objects_.resize(plan.texts.size());
  }
  for (std::size_t i = 0; i < plan.texts.size(); ++i) {
    if (texts_[i] == plan.texts[i]) continue;
    if (auto put_ok = put(i, plan.texts[i]); !put_ok) return fail(put_ok.error());
    ++out.writes;
  }
  out.shards = plan.texts.size();
  return out;
}

}  // namespace keelson::leader
