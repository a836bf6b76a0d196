#include "collectors/logs/scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace keelson::logs {

std::uint64_t birthTimeNs(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) != 0 || (stx.stx_mask & STATX_BTIME) == 0)
    return 0;
  return static_cast<std::uint64_t>(stx.stx_btime.tv_sec) * 1'000'000'000u + stx.stx_btime.tv_nsec;
}

bool isLogFileName(std::string_view name) {
  return !name.ends_with(".gz") && !name.ends_with(".tmp");
}

std::vector<DirEntry> listDir(int dir_fd) {
  std::vector<DirEntry> out;
  const int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return out;
  DIR* d = ::fdopendir(dup_fd);
  if (!d) {
    ::close(dup_fd);
    return out;
  }
  ::rewinddir(d);
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    out.push_back(DirEntry{std::string(name), e->d_type});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

Fd openInWalk(int root_fd, const std::string& rel, bool directory, ScanVisitor& visitor) {
  auto opened = openBeneath(root_fd, rel, directory);
  if (!opened) {
    const auto& reason = opened.error().reason;
    if (reason == kOpenFailed) visitor.onIncomplete();
    if (reason != kOpenNotFound && reason != kOpenFailed) visitor.onRefused(rel, reason);
    return Fd();
  }
  return std::move(*opened);
}

ScanListing walkPods(int root_fd, const NamespaceFilter& namespaces, ScanVisitor& visitor,
                     const NamespaceFilter& pod_names, const NamespaceFilter& containers) {
  ScanListing listing;
  Fd pods = openInWalk(root_fd, "pods", true, visitor);
  if (!pods) return listing;
  listing.pods_found = true;
  visitor.onDirectory(pods.get(), "pods");
  for (const auto& pe : listDir(pods.get())) {
    listing.pod_dirs.insert(pe.name);
    const std::string pod_rel = "pods/" + pe.name;
    const auto pod = logroot::parsePodDirName(pe.name);
    if (!pod) continue;
    listing.pod_uids.insert(pod->pod_uid);
    if (!namespaces.allows(pod->namespace_name)) {
      visitor.onRefused(pod_rel, "NamespaceNotSelected");
      continue;
    }
    if (!pod_names.allows(pod->pod_name)) {
      visitor.onRefused(pod_rel, "PodNotSelected");
      continue;
    }
    if (pe.type == DT_LNK) {
      visitor.onRefused(pod_rel, kRefusedSymlink);
      continue;
    }
    Fd pod_dir = openInWalk(root_fd, pod_rel, true, visitor);
    if (!pod_dir) continue;
    visitor.onDirectory(pod_dir.get(), pod_rel);
    for (const auto& ce : listDir(pod_dir.get())) {
      const std::string cont_rel = pod_rel + "/" + ce.name;
      if (ce.type == DT_LNK) {
        visitor.onRefused(cont_rel, kRefusedSymlink);
        continue;
      }
      if (ce.type != DT_DIR && ce.type != DT_UNKNOWN) continue;
      if (!containers.allows(ce.name)) {
        visitor.onRefused(cont_rel, "ContainerNotSelected");
        continue;
      }
      Fd cont_dir = openInWalk(root_fd, cont_rel, true, visitor);
      if (!cont_dir) continue;
      visitor.onDirectory(cont_dir.get(), cont_rel);
      for (const auto& fe : listDir(cont_dir.get())) {
        if (!isLogFileName(fe.name)) continue;
        const std::string file_rel = cont_rel + "/" + fe.name;
        const auto parsed = logroot::parsePodLogPath(file_rel);
        if (!parsed) continue;
        if (fe.type == DT_LNK) {
          visitor.onRefused(file_rel, kRefusedSymlink);
          continue;
        }
        listing.log_files.insert(file_rel);
        visitor.onFile(file_rel, cont_rel, *parsed);
      }
    }
  }
  return listing;
}

ContainerIds readContainerLinks(int containers_dir_fd) {
  ContainerIds ids;
  char target[4096];
  for (const auto& e : listDir(containers_dir_fd)) {
    const auto link = logroot::parseContainerLinkName(e.name);
    if (!link) continue;
    const ssize_t n = ::readlinkat(containers_dir_fd, e.name.c_str(), target, sizeof target);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof target) continue;
    if (auto file = logroot::containerLinkTarget(
            *link, std::string_view(target, static_cast<std::size_t>(n)))) {
      ids[std::move(*file)] = link->container_id;
    }
  }
  return ids;
}

std::string containerIdFor(const ContainerIds& ids, const std::string& dir_rel,
                           std::string_view file_name) {
  const auto live = logroot::liveLogName(file_name);
  if (!live) return {};
  const auto it = ids.find(dir_rel + "/" + std::string(*live));
  return it == ids.end() ? std::string() : it->second;
}

}  // namespace keelson::logs
