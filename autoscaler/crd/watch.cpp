#include "autoscaler/crd/watch.h"

namespace keelson::crd {
namespace {

using json = nlohmann::json;

std::string keyOf(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return "";
  }
  const json& meta = object["metadata"];
  return meta.value("namespace", "") + "/" + meta.value("name", "");
}

std::string resourceVersionOf(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return "";
  }
  return object["metadata"].value("resourceVersion", "");
}

}  // namespace

Result<std::string> ObjectCache::replace(std::string_view listBody) {
  const json list = json::parse(listBody, nullptr, false);
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) {
    return fail("BadResponse", "the list answer has no items");
  }
  std::map<std::string, json> objects;
  for (const auto& item : list["items"]) {
    const std::string key = keyOf(item);
    if (key != "/") objects[key] = item;
  }
  {
    std::lock_guard lock(mutex_);
    objects_ = std::move(objects);
  }
  ++version_;
  return resourceVersionOf(list);
}

Result<std::optional<WatchEvent>> parseWatchLine(std::string_view line) {
  if (line.empty() || line == "\r") return std::optional<WatchEvent>();
  json event = json::parse(line, nullptr, false);
  if (event.is_discarded() || !event.is_object() || !event.contains("object")) {
    return std::optional<WatchEvent>();
  }
  WatchEvent out{event.value("type", ""), std::move(event["object"])};
  if (out.type == "ERROR") {
    const json& object = out.object;
    const int code = object.is_object() ? object.value("code", 0) : 0;
    if (code == 410) return fail("Gone", "watch: resource version too old");
    return fail("WatchError", "watch ended with error code " + std::to_string(code) + ": " +
                                  (object.is_object() ? object.value("message", "") : ""));
  }
  return std::optional<WatchEvent>(std::move(out));
}

Result<std::string> ObjectCache::apply(std::string_view line) {
  auto parsed = parseWatchLine(line);
  if (!parsed) return fail(parsed.error());
  if (!*parsed) return std::string();
  const std::string& type = (*parsed)->type;
  const json& object = (*parsed)->object;
  const std::string key = keyOf(object);
  if (type == "ADDED" || type == "MODIFIED") {
    std::lock_guard lock(mutex_);
    objects_[key] = object;
  } else if (type == "DELETED") {
    std::lock_guard lock(mutex_);
    objects_.erase(key);
  }
  if (type != "BOOKMARK") ++version_;
  return resourceVersionOf(object);
}

std::map<std::string, json> ObjectCache::snapshot() const {
  std::lock_guard lock(mutex_);
  return objects_;
}

ObjectWatcher::ObjectWatcher(kube::KubeClient& client, kube::Clock& clock, std::string path,
                             std::string what, kube::WatchSink* sink, int watchTimeoutSeconds)
    : list_watch_(client, clock, std::move(path), std::move(what), sink != nullptr ? *sink : cache_,
                  watchTimeoutSeconds) {}

}  // namespace keelson::crd
