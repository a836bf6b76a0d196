// Pure parsers for the names the kubelet gives log directories and links (README.md, "Under the
// log root"). They give namespace, pod, uid, container and container id without an API server.
//
//   pods/<namespace>_<pod>_<pod-uid>/<container>/<n>.log[.<timestamp>]
//   containers/<pod>_<namespace>_<container>-<container-id>.log   (a link; never followed)
//
// Namespace and pod names are DNS names and cannot contain '_', so '_' splits them unambiguously;
// container names may contain '-', so the id is the 64-hex-digit tail after the last '-'.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keelson::logroot {

struct PodDirName {
  std::string namespace_name;
  std::string pod_name;
  std::string pod_uid;
  friend bool operator==(const PodDirName&, const PodDirName&) = default;
};

struct ContainerLinkName {
  std::string pod_name;
  std::string namespace_name;
  std::string container_name;
  std::string container_id;  // 64 lowercase hex digits
  friend bool operator==(const ContainerLinkName&, const ContainerLinkName&) = default;
};

// Where a log file sits under pods/: its pod directory, container and file name.
struct PodLogPath {
  PodDirName pod;
  std::string container_name;
  std::string file_name;  // "0.log", "0.log.20261121-100000"
  bool rotated = false;   // a `<n>.log.<timestamp>` sibling rather than the live `<n>.log`
  friend bool operator==(const PodLogPath&, const PodLogPath&) = default;
};

// "shop_checkout-7d9f8_0f1e...". nullopt unless it has exactly three non-empty '_' fields.
std::optional<PodDirName> parsePodDirName(std::string_view name);

// "checkout-7d9f8_shop_app-<64 hex>.log". nullopt when the shape does not match.
std::optional<ContainerLinkName> parseContainerLinkName(std::string_view name);

// A path relative to the log root: "pods/<ns>_<pod>_<uid>/<container>/<n>.log[.<ts>]".
// nullopt for anything else (other files, wrong depth, names that do not parse).
std::optional<PodLogPath> parsePodLogPath(std::string_view relative_path);

// The live file a containers/ link stands for. The kubelet writes one link per container instance
// (a restart makes a new id and a new `<n>.log`), each pointing at its own instance's file, e.g.
// `/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log`. `target` is the link's content as
// readlink(2) returns it (the link is never opened or followed). Returns the file's path relative
// to the log root, "pods/<ns>_<pod>_<uid>/<container>/<n>.log", taken from the target's last four
// components (so it does not matter where the agent mounts the log root), or nullopt unless those
// components are a live log file of the namespace, pod and container the link's name gives.
std::optional<std::string> containerLinkTarget(const ContainerLinkName& link,
                                               std::string_view target);

// The live file name a log file belongs to: "3.log" for "3.log" and "3.log.20261202-101010";
// nullopt for names that are not log files.
std::optional<std::string_view> liveLogName(std::string_view file_name);

}  // namespace keelson::logroot
