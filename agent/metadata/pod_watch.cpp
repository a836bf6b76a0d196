#include "agent/metadata/pod_watch.h"

#include <sstream>

#include "collectors/kube/api.h"

namespace keelson::metadata {
namespace {

using nlohmann::json;

// The API server's answers are parsed without trusting their shape: a field of the wrong type
// (or a non-object where an object belongs) reads as absent. nlohmann's value() and get() throw
// on those, and an exception would end the watch thread.
const json& field(const json& object, const char* key) {
  static const json kAbsent;
  if (!object.is_object()) return kAbsent;
  const auto it = object.find(key);
  return it == object.end() ? kAbsent : *it;
}

std::string str(const json& object, const char* key) {
  const json& v = field(object, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::map<std::string, std::string> stringMap(const json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (const auto& [k, v] : object.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

void addContainers(const json& list, const json& statuses, PodMeta& pod) {
  if (list.is_array()) {
    for (const auto& c : list) {
      if (c.is_object()) pod.containers[str(c, "name")].image = str(c, "image");
    }
  }
  if (statuses.is_array()) {
    for (const auto& c : statuses) {
      if (!c.is_object()) continue;
      auto& meta = pod.containers[str(c, "name")];
      meta.id = str(c, "containerID");
      meta.status_image = str(c, "image");
      meta.image_id = str(c, "imageID");
      if (meta.image.empty()) meta.image = str(c, "image");
    }
  }
}

}  // namespace

PodMeta parsePod(const json& pod) {
  PodMeta meta;
  const json& md = field(pod, "metadata");
  meta.ns = str(md, "namespace");
  meta.name = str(md, "name");
  meta.uid = str(md, "uid");
  meta.resource_version = str(md, "resourceVersion");
  meta.labels = stringMap(field(md, "labels"));
  meta.annotations = stringMap(field(md, "annotations"));
  const json& owners = field(md, "ownerReferences");
  if (owners.is_array()) {
    for (const auto& owner : owners) {
      const json& controller = field(owner, "controller");
      if (controller.is_boolean() && controller.get<bool>()) {
        meta.owner_kind = str(owner, "kind");
        meta.owner_name = str(owner, "name");
      }
    }
  }
  const json& spec = field(pod, "spec");
  const json& status = field(pod, "status");
  addContainers(field(spec, "initContainers"), field(status, "initContainerStatuses"), meta);
  addContainers(field(spec, "containers"), field(status, "containerStatuses"), meta);
  return meta;
}

Result<PodList> parsePodListMeta(const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("items")) {
    return fail("BadResponse", "expected a PodList");
  }
  PodList list;
  list.resource_version = str(field(doc, "metadata"), "resourceVersion");
  const json& items = field(doc, "items");
  if (!items.is_array()) return fail("BadResponse", "expected a PodList (items is not a list)");
  for (const auto& item : items) {
    if (item.is_object()) list.pods.push_back(parsePod(item));
  }
  return list;
}

std::vector<WatchEvent> parseWatchEvents(const std::string& body, int* bad) {
  std::vector<WatchEvent> events;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line == "\r") continue;
    const json doc = json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("object")) {
      if (bad) ++*bad;
      continue;
    }
    WatchEvent event;
    event.type = str(doc, "type");
    const json& object = field(doc, "object");
    if (event.type == "ERROR") {
      const json& code = field(object, "code");
      if (code.is_number_integer() && code.get<std::int64_t>() >= 0 &&
          code.get<std::int64_t>() <= 999)
        event.code = static_cast<int>(code.get<std::int64_t>());
    } else {
      event.pod = parsePod(object);
      event.resource_version = event.pod.resource_version;
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::string podsPath(const std::string& nodeName, const std::string& resourceVersion, bool watch,
                     int timeoutSeconds) {
  std::string path = "/api/v1/pods?fieldSelector=" + kube::queryEscape("spec.nodeName=" + nodeName);
  if (watch) return kube::watchPath(path, resourceVersion, timeoutSeconds);
  if (!resourceVersion.empty()) path += "&resourceVersion=" + kube::queryEscape(resourceVersion);
  return path;
}

Result<std::string> PodCacheSink::replace(std::string_view listBody) {
  auto list = parsePodListMeta(std::string(listBody));
  if (!list) return fail(list.error());
  cache_.replaceAll(std::move(list->pods));
  return list->resource_version;
}

Result<std::string> PodCacheSink::apply(std::string_view line) {
  std::string resourceVersion;
  for (auto& event : parseWatchEvents(std::string(line))) {
    if (event.type == "ERROR") {
      if (event.code == 410) return fail("Gone", "pod watch: resource version too old");
      return fail("WatchError", "pod watch ended with error code " + std::to_string(event.code));
    }
    if (!event.resource_version.empty()) resourceVersion = event.resource_version;
    if (event.type == "ADDED" || event.type == "MODIFIED") {
      cache_.upsert(std::move(event.pod));
    } else if (event.type == "DELETED") {
      cache_.erase(event.pod.uid);
    }
  }
  return resourceVersion;
}

PodWatcher::PodWatcher(kube::KubeClient& client, PodCache& cache, kube::Clock& clock,
                       std::string nodeName, int watchTimeoutSeconds)
    : sink_(cache),
      list_watch_(client, clock, podsPath(nodeName, "", false, 0), "pods", sink_,
                  watchTimeoutSeconds) {}

Status PodWatcher::step() {
  Status st = list_watch_.step();
  up_ = static_cast<bool>(st);
  return st;
}

}  // namespace keelson::metadata
