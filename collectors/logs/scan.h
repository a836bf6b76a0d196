// Discovery: one walk over the log root's pods/ tree, and the containers/ links that name each
// container instance's id. Directories and files are opened beneath the root without following
// symlinks (safe_open.h); what the walk finds, refuses or could not open is reported to a
// ScanVisitor, which decides (the tailer tracks files, watches directories, counts refusals).
//
//   root/pods/<ns>_<pod>_<uid>/<container>/<n>.log[.<ts>]   log files (".gz", ".tmp" skipped)
//   root/containers/<pod>_<ns>_<container>-<id>.log          links, read with readlinkat only
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/logroot/names.h"
#include "collectors/logs/safe_open.h"
#include "collectors/logs/tailer.h"

namespace keelson::logs {

class ScanVisitor {
 public:
  virtual ~ScanVisitor() = default;
  // A directory the walk opened (pods/, a pod, a container directory): watch it.
  virtual void onDirectory(int dir_fd, const std::string& rel) = 0;
  // A path refused (safe_open.h reasons: Symlink, OutsideRoot, NotRegularFile, ...).
  virtual void onRefused(const std::string& rel, std::string_view reason) = 0;
  // Some directory or file could not be opened (fd limit, I/O error): the walk proves nothing
  // about what it did not list.
  virtual void onIncomplete() = 0;
  // A log file of an allowed namespace (not a symlink by its directory entry).
  virtual void onFile(const std::string& rel, const std::string& dir_rel,
                      const logroot::PodLogPath& where) = 0;
};

struct ScanListing {
  std::set<std::string, std::less<>> pod_dirs;   // every entry of pods/ the walk listed
  std::set<std::string, std::less<>> pod_uids;   // uids of the pod directories listed
  std::set<std::string, std::less<>> log_files;  // files passed to onFile
  bool pods_found = false;                       // root/pods was there and opened
};

// Walks root/pods: pods of namespaces `namespaces` does not allow are listed (pod_dirs, pod_uids)
// but not opened.
// Selection (logs.namespaces / pods / containers): a directory not selected is never opened and is
// reported to the visitor as refused ("NamespaceNotSelected", "PodNotSelected",
// "ContainerNotSelected"), which counts it once.
ScanListing walkPods(int root_fd, const NamespaceFilter& namespaces, ScanVisitor& visitor,
                     const NamespaceFilter& pod_names = {}, const NamespaceFilter& containers = {});

// Opens `rel` beneath the root (a directory or a regular file); a refusal is reported to the
// visitor (not-found is not a refusal), a failure makes the walk incomplete. Empty Fd when
// unusable.
Fd openInWalk(int root_fd, const std::string& rel, bool directory, ScanVisitor& visitor);

struct DirEntry {
  std::string name;
  unsigned char type;  // d_type (DT_DIR, DT_LNK, DT_UNKNOWN, ...)
};
// A directory's entries sorted by name ("." and ".." left out); the fd stays the caller's.
std::vector<DirEntry> listDir(int dir_fd);

// Log files the tailer reads: not ".gz" (the kubelet's compressed rotations hold lines already
// read from the plain file) and not ".tmp" (a compression in progress).
bool isLogFileName(std::string_view name);

// The inode's birth time in ns since the epoch, or 0 where the filesystem does not report one.
std::uint64_t birthTimeNs(int fd);

// containers/ holds one link per container *instance* (a restart makes a new id and a new
// <n>.log; the old links stay), each pointing at its own instance's <n>.log. Maps that file
// ("pods/<pod dir>/<container>/<n>.log") to the id, reading each link's target with readlinkat
// (the link is never opened or followed).
using ContainerIds = std::unordered_map<std::string, std::string>;
ContainerIds readContainerLinks(int containers_dir_fd);

// The id of the instance whose file (live `<n>.log` or rotated `<n>.log.<ts>`) is
// `dir_rel`/`file_name`; empty when no link names it.
std::string containerIdFor(const ContainerIds& ids, const std::string& dir_rel,
                           std::string_view file_name);

}  // namespace keelson::logs
