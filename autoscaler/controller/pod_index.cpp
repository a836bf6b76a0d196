#include "autoscaler/controller/pod_index.h"

#include <algorithm>
#include <cctype>

#include "collectors/kube/api.h"

namespace keelson::controller {
namespace {

using json = nlohmann::json;

// One pod object -> (namespace, PodInfo), through the client's own PodList parser.
std::optional<std::pair<std::string, kube::PodInfo>> podOf(const json& object) {
  if (!object.is_object() || !object.contains("metadata")) return std::nullopt;
  auto parsed = kube::parsePodList(json{{"items", json::array({object})}}.dump());
  if (!parsed || parsed->size() != 1) return std::nullopt;
  return std::pair{object["metadata"].value("namespace", ""), std::move(parsed->front())};
}

}  // namespace

Result<std::string> PodIndex::replace(std::string_view listBody) {
  const json list = json::parse(listBody, nullptr, false);
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) {
    return fail("BadResponse", "expected a PodList");
  }
  std::map<std::string, std::map<std::string, kube::PodInfo>> pods;
  for (const auto& item : list["items"]) {
    if (auto pod = podOf(item)) pods[pod->first][pod->second.name] = std::move(pod->second);
  }
  {
    std::lock_guard lock(mutex_);
    pods_ = std::move(pods);
  }
  synced_ = true;
  return list.contains("metadata") && list["metadata"].is_object()
             ? list["metadata"].value("resourceVersion", "")
             : std::string();
}

Result<std::string> PodIndex::apply(std::string_view line) {
  auto event = crd::parseWatchLine(line);
  if (!event) return fail(event.error());
  if (!*event) return std::string();
  const json& object = (*event)->object;
  const std::string rv = object.is_object() && object.contains("metadata")
                             ? object["metadata"].value("resourceVersion", "")
                             : "";
  if ((*event)->type == "BOOKMARK") return rv;
  auto pod = podOf(object);
  if (!pod) return rv;
  std::lock_guard lock(mutex_);
  if ((*event)->type == "DELETED") {
    auto ns = pods_.find(pod->first);
    if (ns != pods_.end()) {
      ns->second.erase(pod->second.name);
      if (ns->second.empty()) pods_.erase(ns);
    }
  } else {
    pods_[pod->first][pod->second.name] = std::move(pod->second);
  }
  return rv;
}

Result<std::vector<kube::PodInfo>> PodIndex::list(const std::string& ns,
                                                  const std::string& selector) const {
  auto parsed = parseLabelSelector(selector);
  if (!parsed) return fail(parsed.error());
  std::vector<kube::PodInfo> out;
  std::lock_guard lock(mutex_);
  const auto it = pods_.find(ns);
  if (it == pods_.end()) return out;
  for (const auto& [name, pod] : it->second) {
    if (matches(*parsed, pod.labels)) out.push_back(pod);
  }
  return out;
}

std::size_t PodIndex::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [ns, pods] : pods_)
    n += pods.size();
  return n;
}

}  // namespace keelson::controller
