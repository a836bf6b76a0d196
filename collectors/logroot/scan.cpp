#include "collectors/logroot/scan.h"

#include <dirent.h>
#include <sys/stat.h>

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

PodIndexCache::Stamp PodIndexCache::stamp(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return {};
  constexpr std::int64_t kNs = 1'000'000'000;
  return {true, static_cast<std::uint64_t>(st.st_ino), st.st_mtim.tv_sec * kNs + st.st_mtim.tv_nsec,
          st.st_ctim.tv_sec * kNs + st.st_ctim.tv_nsec};
}

const PodIndex& PodIndexCache::get(const std::string& log_root, std::int64_t now_ns) {
  // Stamped before the scan: a change made during it moves the stamp, seen by the next call.
  const Stamp pods = stamp(log_root + "/pods");
  const Stamp containers = stamp(log_root + "/containers");
  if (valid_ && log_root == log_root_ && pods == pods_ && containers == containers_) {
    return index_;
  }
  index_ = scanLogRoot(log_root);
  ++scans_;
  log_root_ = log_root;
  pods_ = pods;
  containers_ = containers;
  constexpr std::int64_t kRacyNs = 1'000'000'000;
  auto settled = [&](const Stamp& s) {
    return !s.exists || (now_ns - s.mtime_ns >= kRacyNs && now_ns - s.ctime_ns >= kRacyNs);
  };
  valid_ = settled(pods) && settled(containers);
  return index_;
}

}  // namespace keelson::logroot
