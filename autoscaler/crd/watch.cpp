#include "autoscaler/crd/watch.h"

#include "collectors/kube/api.h"
#include "collectors/kube/rate_limiter.h"

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

Result<std::string> ObjectCache::replace(const json& list) {
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
                             std::string what, WatchSink* sink, int watchTimeoutSeconds)
    : client_(client),
      clock_(clock),
      path_(std::move(path)),
      what_(std::move(what)),
      watchTimeoutSeconds_(watchTimeoutSeconds),
      sink_(sink != nullptr ? sink : &cache_) {}

Status ObjectWatcher::step() {
  if (failures_ > 0) {
    clock_.sleepFor(
        kube::backoffDelay(failures_ - 1, std::chrono::seconds(1), std::chrono::seconds(30)));
  }
  Status st = resourceVersion_.empty() ? list() : watch();
  failures_ = st ? 0 : failures_ + 1;
  return st;
}

Status ObjectWatcher::list() {
  auto response = client_.getRaw(path_);
  if (!response) return fail(response.error());
  if (response->status != 200) {
    return fail(kube::apiError(response->status, response->body, "list", what_, ""));
  }
  auto rv = sink_->replace(json::parse(response->body, nullptr, false));
  if (!rv) return fail(rv.error());
  resourceVersion_ = *rv;
  synced_ = true;
  return {};
}

Status ObjectWatcher::watch() {
  std::string partial;
  Status outcome;
  bool ended = false;
  auto apply = [&](std::string_view line) {
    if (ended) return;
    auto rv = sink_->apply(line);
    if (!rv) {
      ended = true;
      resourceVersion_.clear();
      if (rv.error().reason != "Gone") outcome = fail(rv.error());
      return;
    }
    if (!rv->empty()) resourceVersion_ = *rv;
  };
  auto feed = [&](std::string_view bytes) {
    for (std::size_t nl; (nl = bytes.find('\n')) != std::string_view::npos;) {
      if (partial.empty()) {
        apply(bytes.substr(0, nl));
      } else {
        partial.append(bytes.substr(0, nl));
        apply(partial);
        partial.clear();
      }
      bytes.remove_prefix(nl + 1);
    }
    partial.append(bytes);
  };
  const std::string path =
      path_ + "?resourceVersion=" + kube::queryEscape(resourceVersion_) +
      "&watch=true&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(watchTimeoutSeconds_);
  auto response = client_.getRaw(path, feed);
  if (!response) return fail(response.error());
  if (response->status == 410) {
    resourceVersion_.clear();
    return {};
  }
  if (response->status != 200) {
    resourceVersion_.clear();
    return fail(kube::apiError(response->status, response->body, "watch", what_, ""));
  }
  feed(response->body);
  if (!partial.empty()) apply(partial);
  return outcome;
}

}  // namespace keelson::crd
