// Finding the kubelet's pod and container cgroups under a cgroup root (cgroup v2 unified, or v1
// with one hierarchy per controller; a hybrid v1/v2 host is read as v1). Directory links are never
// followed. Thread-safe: no shared state (a SubdirCache passed in is the caller's to guard).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collectors/cgroup/errors.h"
#include "collectors/cgroup/subdirs.h"
#include "collectors/common/result.h"

namespace keelson::cgroup {

enum class Mode { kV2, kV1 };

// Where each controller's files live. For v2 every directory is the root; for v1 each controller
// has its own hierarchy (empty when the host does not mount that controller).
struct Layout {
  Mode mode = Mode::kV2;
  std::string root;  // the cgroup root given by the user
  std::string cpu;
  std::string cpuacct;
  std::string memory;
  std::string blkio;
  std::string pids;
  std::string discovery;  // the hierarchy walked to find pods and containers
};

// Inspects `cgroup_root`: v2 when it holds cgroup.controllers, v1 when it holds controller
// directories. Fails with "NoCgroupRoot" when it is neither.
Result<Layout> detectLayout(const std::string& cgroup_root);

struct CgroupRef {
  std::string path;           // relative to the hierarchy root, with a leading '/': cAdvisor's id
  std::string pod_uid;        // with '-'
  std::string container_id;   // empty for the pod-level cgroup
  std::size_t pod_index = 0;  // index into the output of the pod-level entry of this pod
  std::uint64_t ino = 0;      // the directory's inode number (readdir's d_ino), 0 if unknown
  bool raw = false;           // not a kubelet pod/container cgroup (walkRaw): no pod identity
};

// Appends every pod cgroup and, right after it, its container cgroups, found under the kubepods
// hierarchy (kubepods.slice or kubepods) of `layout.discovery`. A directory that vanishes while
// being listed is counted as CgroupVanished; unreadable ones by errno reason. Returns the number
// of cgroup directories examined (kubepods, QoS, pod and container levels). With `subdirs`,
// directories are listed through that cache (collectors/cgroup/subdirs.h).
std::size_t walkKubepods(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors,
                         SubdirCache* subdirs = nullptr);

// cAdvisor's "raw" cgroups: every other cgroup directory, the root "/" first (the machine as a
// whole), then system.slice, user.slice, the kubepods and QoS levels, ... depth-first in name
// order, as refs with `raw` set (no pod uid, no container id). Under v1 it is the union over the
// controller hierarchies (a cgroup that only the memory hierarchy has is still one cgroup). The
// kubelet's pod cgroups and everything below them are left to walkKubepods. At most `limit`
// refs are appended; the rest are counted once as "CgroupLimit". Returns the directories
// examined. `kubepods_only` keeps what the kubelet's cAdvisor reports (its raw cgroups are limited
// to the node allocatable root): "/", the kubepods level and the QoS levels.
std::size_t walkRaw(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors,
                    std::size_t limit, bool kubepods_only = false, SubdirCache* subdirs = nullptr);

// A scrape's walk: walkRaw's cgroups (`limit`, `kubepods_only`), then walkKubepods', appended to
// `out`; returns the directories both examined.
std::size_t walkCgroups(const Layout& layout, std::vector<CgroupRef>& out, ErrorCounts& errors,
                        std::size_t limit, bool kubepods_only, SubdirCache* subdirs = nullptr);

// walkCgroups through a SubdirCache, their result kept: when no
// directory changed since the last walk (the cache's generation unchanged, every directory
// watched) and that walk counted no error, its refs are served again without a directory
// listed or a string built. Otherwise it walks, and forgets the directories that walk did not
// list. Not thread-safe: owned by the container collector, used under its lock.
class CachedWalk {
 public:
  struct Result {
    const std::vector<CgroupRef>& refs;
    std::size_t examined;  // the walks' directories examined
  };
  // walkCgroups' arguments. Errors are added to `errors`.
  Result walk(const Layout& layout, std::size_t limit, bool kubepods_only, ErrorCounts& errors);

 private:
  SubdirCache subdirs_;
  std::vector<CgroupRef> refs_;
  std::size_t examined_ = 0;
  bool reusable_ = false;
  std::uint64_t generation_ = 0;
  // What the kept walk was of: another layout or mode walks afresh.
  std::string discovery_;
  std::size_t limit_ = 0;
  bool kubepods_only_ = false;
};

}  // namespace keelson::cgroup
