// Watching the log root's directories with inotify: what changed since the last look, so the
// tailer rescans (a file created, moved or deleted, or the queue overflowed) or looks again at the
// files of a directory where something was written. Watches are added through /proc/self/fd/N of
// the directory the scan opened beneath the root, so the watch is on what was validated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace keelson::logs {

struct WatchEvents {
  bool rescan = false;  // created / moved / deleted, a watched dir gone, or overflow
  // Directories (relative) in which a file was written: views of the watch table's names, valid
  // until the watcher's next drain() or add(). DirWatcher::drain() lists each once; the decoder
  // only skips a repeat of the previous event's directory.
  std::vector<std::string_view> written_dirs;
};

// Decodes a buffer of inotify_event records read from the inotify fd into `out`: IN_Q_OVERFLOW
// and any create/move/delete ask for a rescan; IN_MODIFY names the watched directory; IN_IGNORED
// forgets the watch (and its directory in `out`, whose view would dangle). Pure apart from
// `watches` (watch descriptor -> directory). No allocation per event: following 500 files, each
// drain decodes one event per write.
void decodeWatchEvents(std::string_view buffer, std::unordered_map<int, std::string>& watches,
                       WatchEvents& out);

class DirWatcher {
 public:
  // inotify when `enabled` and available; otherwise fd() is -1 and drain() finds nothing (the
  // tailer's rescans still find everything, later).
  explicit DirWatcher(bool enabled);
  ~DirWatcher();
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

  int fd() const { return fd_; }
  // Watches the directory open as `dir_fd` (a scan's fd), named `rel` in events.
  void add(int dir_fd, const std::string& rel);
  // A scan's walk begins: watchesAll() tells afterwards whether it watched every directory whose
  // changes matter.
  void beginWalk() { unwatched_ = 0; }
  // A directory the walk needs watched is not there yet (the kubelet makes pods/ and containers/):
  // its creation is not reported.
  void notThere() { ++unwatched_; }
  // inotify is on, and since beginWalk() no add() was refused (the user's watch limit, a directory
  // gone meanwhile) and nothing was notThere(): every change under the root that matters is
  // reported.
  bool watchesAll() const { return fd_ >= 0 && unwatched_ == 0; }
  // Whether writes to the files of `rel` are reported (IN_MODIFY; on after add). Off, the watch
  // still reports creations, moves and deletions: a busy directory whose files the tailer reads
  // at every turn anyway costs no event per write. The directory is opened beneath `root_fd`
  // again to change its watch's mask, which only a path can; false when it is not the watched
  // directory any more, or the kernel refused the change.
  bool reportWrites(int root_fd, const std::string& rel, bool on);
  // Reads every queued event without blocking.
  WatchEvents drain();

 private:
  static std::uint32_t mask(bool writes);
  int fd_ = -1;
  std::size_t unwatched_ = 0;  // since beginWalk(): add() calls the kernel refused, notThere()
  std::unordered_map<int, std::string> watches_;
  std::unordered_set<std::string> writes_off_;  // watched directories whose writes are not reported
};

}  // namespace keelson::logs
