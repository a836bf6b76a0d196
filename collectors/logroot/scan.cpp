#include "collectors/logroot/scan.h"

#include <dirent.h>

#include <map>
#include <utility>

#include "collectors/logroot/names.h"

namespace keelson::logroot {
namespace {

template <typename Fn>
void forEachName(const std::string& dir, Fn&& fn) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    fn(name);
  }
  ::closedir(d);
}

}  // namespace

PodIndex scanLogRoot(const std::string& log_root) {
  PodIndex index;
  // (namespace, pod) -> uids: link names carry no uid, and a pod re-created under the same name
  // (a StatefulSet) has one directory per uid.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_name;
  forEachName(log_root + "/pods", [&](std::string_view name) {
    auto pod = parsePodDirName(name);
    if (!pod) return;
    by_name[{pod->namespace_name, pod->pod_name}].push_back(pod->pod_uid);
    index.emplace(pod->pod_uid, PodMeta{pod->namespace_name, pod->pod_name, {}});
  });
  forEachName(log_root + "/containers", [&](std::string_view name) {
    auto link = parseContainerLinkName(name);
    if (!link) return;
    const auto it = by_name.find({link->namespace_name, link->pod_name});
    if (it == by_name.end()) return;
    for (const auto& uid : it->second) {
      auto& meta = index[uid];
      if (meta.containerName(link->container_id) == nullptr) {
        meta.containers.push_back(ContainerName{link->container_name, link->container_id});
      }
    }
  });
  return index;
}

}  // namespace keelson::logroot
