// Scans a log root's directory *names* (README.md, "Under the log root") into an index from pod
// uid to namespace, pod and container names and ids. No file is opened and no link is followed:
// pods/<namespace>_<pod>_<uid>/ gives namespace, pod and uid; the names of the links
// containers/<pod>_<namespace>_<container>-<id>.log give container names and ids.
// Thread-safe: no shared state. A missing or unreadable directory yields an empty index.
#pragma once

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

}  // namespace keelson::logroot
