// Recovering the pod uid and container id from the kubelet's cgroup directory names, for both
// cgroup drivers (pure functions, no I/O):
//
//   systemd:  kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid, '-' as '_'>.slice/
//                 <runtime>-<id>.scope            (guaranteed pods sit directly under
//                 kubepods.slice
//                                                  as kubepods-pod<uid>.slice)
//   cgroupfs: kubepods/<qos>/pod<uid>/<id>        (guaranteed: kubepods/pod<uid>/<id>)
//
// Runtime prefixes: cri-containerd-, crio-, docker-; and the "<parent>:cri-containerd:<id>" form
// containerd uses with the systemd driver on some hosts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keelson::cgroup {

// The uid (with '-') of a pod cgroup directory name; nullopt if the name is not a pod cgroup.
std::optional<std::string> podUidFromDirName(std::string_view name);

// The container id (64 lowercase hex digits) of a container cgroup directory name; nullopt for
// anything else (crio-conmon-<id>.scope, stray directories).
std::optional<std::string> containerIdFromDirName(std::string_view name);

// True for the QoS-class directories between kubepods and the pods
// ("kubepods-burstable.slice", "kubepods-besteffort.slice", "burstable", "besteffort").
bool isQosDirName(std::string_view name);

}  // namespace keelson::cgroup
