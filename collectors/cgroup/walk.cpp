#include "collectors/cgroup/walk.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string_view>

#include "collectors/cgroup/path.h"
#include "collectors/common/file.h"

namespace keelson::cgroup {
namespace {

bool isDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Calls fn(name, ino) for the sub-directories of `dir` (not following links), through `cache`
// when given. Returns false and counts the reason when the directory cannot be opened.
template <typename Fn>
bool forEachSubdir(const std::string& dir, ErrorCounts& errors, SubdirCache* cache, Fn&& fn) {
  std::vector<Subdir> listed;
  const std::vector<Subdir>* subdirs = nullptr;
  if (cache != nullptr) {
    subdirs = cache->list(dir, errors);
  } else if (listSubdirs(dir, listed, errors)) {
    subdirs = &listed;
  }
  if (subdirs == nullptr) return false;
  for (const Subdir& s : *subdirs)
    fn(std::string_view(s.name), s.ino);
  return true;
}

std::string firstDir(const std::string& root, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string p = root + "/" + n;
    if (isDir(p)) return p;
  }
  return {};
}

}  // namespace

Result<Layout> detectLayout(const std::string& cgroup_root) {
  Layout layout;
  layout.root = cgroup_root;
  if (exists(cgroup_root + "/cgroup.controllers")) {
    layout.mode = Mode::kV2;
    layout.cpu = layout.cpuacct = layout.memory = layout.blkio = layout.pids = cgroup_root;
    layout.discovery = cgroup_root;
    return layout;
  }
  layout.mode = Mode::kV1;
  layout.cpu = firstDir(cgroup_root, {"cpu,cpuacct", "cpu", "cpuacct,cpu"});
  layout.cpuacct = firstDir(cgroup_root, {"cpu,cpuacct", "cpuacct", "cpuacct,cpu"});
  layout.memory = firstDir(cgroup_root, {"memory"});
  layout.blkio = firstDir(cgroup_root, {"blkio"});
  layout.pids = firstDir(cgroup_root, {"pids"});
  // Every v1 kubelet creates its cgroups in the memory and cpu hierarchies.
  layout.discovery = !layout.memory.empty() ? layout.memory
                     : !layout.cpu.empty()  ? layout.cpu
                                            : layout.cpuacct;
  if (layout.discovery.empty()) {
    return fail("NoCgroupRoot", cgroup_root +
                                    ": neither a cgroup v2 root (no cgroup.controllers) nor a "
                                    "cgroup v1 root (no memory/cpu/cpuacct directories)");
  }
  return layout;
}

std::size_t walkKubepods(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors,
                         SubdirCache* subdirs) {
  std::size_t examined = 0;
  const std::string& base = layout.discovery;
  std::string kubepods;
  for (const char* name : {"/kubepods.slice", "/kubepods"}) {
    if (isDir(base + name)) {
      kubepods = name;
      break;
    }
  }
  if (kubepods.empty()) return 0;
  ++examined;

  auto walkPod = [&](const std::string& pod_rel, std::string uid, std::uint64_t pod_ino) {
    ++examined;
    const std::size_t pod_index = out.size();
    out.push_back(CgroupRef{pod_rel, std::move(uid), {}, pod_index, pod_ino});
    forEachSubdir(base + pod_rel, errors, subdirs, [&](std::string_view name, std::uint64_t ino) {
      auto id = containerIdFromDirName(name);
      if (!id) return;
      ++examined;
      out.push_back(CgroupRef{pod_rel + "/" + std::string(name), out[pod_index].pod_uid,
                              std::move(*id), pod_index, ino});
    });
  };

  std::vector<std::string> qos_dirs;
  forEachSubdir(base + kubepods, errors, subdirs, [&](std::string_view name, std::uint64_t ino) {
    if (isQosDirName(name)) {
      qos_dirs.push_back(kubepods + "/" + std::string(name));
    } else if (auto uid = podUidFromDirName(name)) {
      walkPod(kubepods + "/" + std::string(name), std::move(*uid), ino);
    }
  });
  for (const auto& qos : qos_dirs) {
    ++examined;
    forEachSubdir(base + qos, errors, subdirs, [&](std::string_view name, std::uint64_t ino) {
      if (auto uid = podUidFromDirName(name))
        walkPod(qos + "/" + std::string(name), std::move(*uid), ino);
    });
  }
  return examined;
}

std::size_t walkRaw(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors,
                    std::size_t limit, bool kubepods_only, SubdirCache* subdirs) {
  // Each distinct hierarchy once; the discovery hierarchy first so its inode numbers (the spec
  // cache's key) win for the cgroups it has.
  std::vector<const std::string*> hierarchies{&layout.discovery};
  for (const std::string* h :
       {&layout.cpu, &layout.cpuacct, &layout.memory, &layout.blkio, &layout.pids}) {
    if (h->empty()) continue;
    if (std::none_of(hierarchies.begin(), hierarchies.end(),
                     [&](const std::string* seen) { return *seen == *h; })) {
      hierarchies.push_back(h);
    }
  }
  // Sorted by path so a parent comes before its children and the output is stable.
  std::map<std::string, std::uint64_t> found;
  std::size_t examined = 0;
  bool over_limit = false;
  for (const std::string* hierarchy : hierarchies) {
    std::vector<std::string> stack{""};
    while (!stack.empty()) {
      const std::string rel = std::move(stack.back());
      stack.pop_back();
      ++examined;
      const bool in_kubepods = rel.starts_with("/kubepods");
      forEachSubdir(
          *hierarchy + rel, errors, subdirs, [&](std::string_view name, std::uint64_t ino) {
            // The kubelet's pods (and their containers) belong to walkKubepods.
            if (in_kubepods && podUidFromDirName(name)) return;
            if (kubepods_only && rel.empty() && name != "kubepods" && name != "kubepods.slice")
              return;
            std::string child = rel + "/" + std::string(name);
            if (!found.contains(child)) {
              if (found.size() + 1 >= limit) {  // +1: the root
                over_limit = true;
                return;
              }
              found.emplace(child, ino);
            }
            stack.push_back(std::move(child));
          });
    }
  }
  if (over_limit) errors.add("CgroupLimit");
  out.push_back(CgroupRef{"/", {}, {}, out.size(), 0, true});
  for (auto& [path, ino] : found) {
    out.push_back(CgroupRef{path, {}, {}, out.size(), ino, true});
  }
  return examined;
}

std::size_t walkCgroups(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors,
                        std::size_t limit, bool kubepods_only, SubdirCache* subdirs) {
  // In this order (the operands of + are unsequenced): the raw cgroups first.
  const std::size_t raw = walkRaw(layout, out, errors, limit, kubepods_only, subdirs);
  return raw + walkKubepods(layout, out, errors, subdirs);
}

CachedWalk::Result CachedWalk::walk(const Layout& layout, std::size_t limit, bool kubepods_only,
                                    ErrorCounts& errors) {
  const std::uint64_t generation = subdirs_.refresh();
  if (reusable_ && generation == generation_ && subdirs_.allWatched() &&
      layout.discovery == discovery_ && limit == limit_ && kubepods_only == kubepods_only_) {
    return {refs_, examined_};
  }
  refs_.clear();
  ErrorCounts walk_errors;
  examined_ = walkCgroups(layout, refs_, walk_errors, limit, kubepods_only, &subdirs_);
  subdirs_.sweep();
  reusable_ = walk_errors.by_reason.empty();
  // Not refresh(): an event that arrived during the walk (a cgroup made under a directory already
  // listed) must move the generation at the next call, not be taken into this walk's.
  generation_ = subdirs_.generation();
  discovery_ = layout.discovery;
  limit_ = limit;
  kubepods_only_ = kubepods_only;
  for (const auto& [reason, n] : walk_errors.by_reason)
    errors.add(reason, n);
  return {refs_, examined_};
}

}  // namespace keelson::cgroup
