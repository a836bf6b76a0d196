#include "collectors/cgroup/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

// Lists the sub-directories of `dir` (not following links). Returns false and counts the reason
// when the directory cannot be opened.
template <typename Fn>
bool forEachSubdir(const std::string& dir, ErrorCounts& errors, Fn&& fn) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    const int err = errno;
    errors.add(err == ENOENT ? "CgroupVanished" : errnoReason(err));
    return false;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      const std::string full = dir + "/" + std::string(name);
      is_dir = ::lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) fn(name);
  }
  ::closedir(d);
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

std::size_t walkKubepods(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors) {
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

  auto walkPod = [&](const std::string& pod_rel, std::string uid) {
    ++examined;
    const std::size_t pod_index = out.size();
    out.push_back(CgroupRef{pod_rel, std::move(uid), {}, pod_index});
    forEachSubdir(base + pod_rel, errors, [&](std::string_view name) {
      auto id = containerIdFromDirName(name);
      if (!id) return;
      ++examined;
      out.push_back(CgroupRef{pod_rel + "/" + std::string(name), out[pod_index].pod_uid,
                              std::move(*id), pod_index});
    });
  };

  std::vector<std::string> qos_dirs;
  forEachSubdir(base + kubepods, errors, [&](std::string_view name) {
    if (isQosDirName(name)) {
      qos_dirs.push_back(kubepods + "/" + std::string(name));
    } else if (auto uid = podUidFromDirName(name)) {
      walkPod(kubepods + "/" + std::string(name), std::move(*uid));
    }
  });
  for (const auto& qos : qos_dirs) {
    ++examined;
    forEachSubdir(base + qos, errors, [&](std::string_view name) {
      if (auto uid = podUidFromDirName(name))
        walkPod(qos + "/" + std::string(name), std::move(*uid));
    });
  }
  return examined;
}

}  // namespace keelson::cgroup
