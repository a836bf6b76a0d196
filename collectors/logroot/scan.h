// Scans a log root's directory *names* (README.md, "Under the log root") into an index from pod
// uid to namespace, pod and container names and ids. No file is opened and no link is followed:
// pods/<namespace>_<pod>_<uid>/ gives namespace, pod and uid; the names of the links
// containers/<pod>_<namespace>_<container>-<id>.log give container names and ids.
// Thread-safe: no shared state. A missing or unreadable directory yields an empty index.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace keelson::logroot {

struct ContainerName {
  std::string name;
  std::string id;
  friend bool operator==(const ContainerName&, const ContainerName&) = default;
};

struct PodMeta {
  std::string namespace_name;
  std::string pod_name;
  // Every container (and every restart of it: one id each) seen under containers/, by name.
  std::vector<ContainerName> containers;

  // The container name for `id`, or nullptr.
  const std::string* containerName(std::string_view id) const {
    for (const auto& c : containers) {
      if (c.id == id) return &c.name;
    }
    return nullptr;
  }
  friend bool operator==(const PodMeta&, const PodMeta&) = default;
};

using PodIndex = std::unordered_map<std::string, PodMeta>;  // by pod uid

PodIndex scanLogRoot(const std::string& log_root);

// scanLogRoot's index, scanned again only when the log root's pods/ or containers/ directory may
// have changed: their inode, modification and change times compared with the last scan's (two
// stat calls per scrape instead of two listings and an index of strings). The kubelet changes
// them only as containers start and go. A directory modified less than a second before a scan
// could change again within the same timestamp tick unseen, so that scan is not trusted and the
// next call scans again (git's rule for racy timestamps). `now_ns` is the wall clock (ns since
// the epoch), the clock the file system stamps with. Not thread-safe: owned by the container
// collector, used under its lock.
class PodIndexCache {
 public:
  const PodIndex& get(const std::string& log_root, std::int64_t now_ns);
  std::uint64_t scans() const { return scans_; }

 private:
  struct Stamp {
    bool exists = false;
    std::uint64_t ino = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  static Stamp stamp(const std::string& dir);

  bool valid_ = false;
  std::string log_root_;
  Stamp pods_, containers_;
  PodIndex index_;
  std::uint64_t scans_ = 0;
};

}  // namespace keelson::logroot
