#include "collectors/logs/watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "collectors/logs/safe_open.h"

namespace keelson::logs {

void decodeWatchEvents(std::string_view buffer, std::unordered_map<int, std::string>& watches,
                       WatchEvents& out) {
  std::size_t off = 0;
  while (off + sizeof(inotify_event) <= buffer.size()) {
    inotify_event ev{};
    std::memcpy(&ev, buffer.data() + off, sizeof ev);
    off += sizeof(inotify_event) + ev.len;
    if (ev.mask & IN_Q_OVERFLOW) {
      out.rescan = true;
      continue;
    }
    const auto w = watches.find(ev.wd);
    if (ev.mask & IN_IGNORED) {
      if (w != watches.end()) {
        std::erase_if(out.written_dirs,
                      [&](std::string_view d) { return d.data() == w->second.data(); });
        watches.erase(w);
      }
      continue;
    }
    if (ev.mask & IN_MODIFY) {
      if (w != watches.end() &&
          (out.written_dirs.empty() || out.written_dirs.back().data() != w->second.data())) {
        out.written_dirs.emplace_back(w->second);
      }
      continue;
    }
    out.rescan = true;
  }
}

DirWatcher::DirWatcher(bool enabled) {
  if (enabled) fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

DirWatcher::~DirWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint32_t DirWatcher::mask(bool writes) {
  return IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR |
         (writes ? IN_MODIFY : 0);
}

void DirWatcher::add(int dir_fd, const std::string& rel) {
  if (fd_ < 0) return;
  const std::string proc = "/proc/self/fd/" + std::to_string(dir_fd);
  const int wd = ::inotify_add_watch(fd_, proc.c_str(), mask(!writes_off_.contains(rel)));
  if (wd >= 0) {
    watches_[wd] = rel;
  } else {
    ++unwatched_;
  }
}

bool DirWatcher::reportWrites(int root_fd, const std::string& rel, bool on) {
  if (fd_ < 0) return false;
  if (on != writes_off_.contains(rel)) return true;  // already so
  // Back on, the name leaves writes_off_ whatever happens: a directory that is gone reports
  // nothing, and the next scan's add() watches whatever is there now in full.
  if (on) writes_off_.erase(rel);
  auto dir = openBeneath(root_fd, rel, true);
  if (!dir) return on;
  const std::string proc = "/proc/self/fd/" + std::to_string(dir->get());
  const int wd = ::inotify_add_watch(fd_, proc.c_str(), mask(on));
  if (wd < 0) {
    if (on) writes_off_.insert(rel);  // still off: the caller keeps reading it at every turn
    return false;
  }
  const auto w = watches_.find(wd);
  if (w != watches_.end() && w->second == rel) {
    if (!on) writes_off_.insert(rel);
    return true;
  }
  // Another directory under that name now: watched in full as add() would (on), else not this
  // one's watch to change.
  if (on) {
    watches_[wd] = rel;
  } else if (w == watches_.end()) {
    ::inotify_rm_watch(fd_, wd);
  }
  return on;
}

WatchEvents DirWatcher::drain() {
  WatchEvents out;
  if (fd_ < 0) return out;
  alignas(inotify_event) char buf[16 * 1024];
  const std::size_t watched = watches_.size();
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;
    decodeWatchEvents(std::string_view(buf, static_cast<std::size_t>(n)), watches_, out);
  }
  if (watches_.size() < watched && !writes_off_.empty()) {
    // A watch the kernel dropped (its directory is gone): forgotten with it.
    std::unordered_set<std::string_view> names;
    for (const auto& [wd, rel] : watches_)
      names.insert(rel);
    std::erase_if(writes_off_, [&](const std::string& rel) { return !names.contains(rel); });
  }
  // Each directory once (the views of one watch share their data pointer).
  auto& dirs = out.written_dirs;
  std::sort(dirs.begin(), dirs.end(), [](std::string_view a, std::string_view b) {
    return std::less<const char*>{}(a.data(), b.data());
  });
  dirs.erase(
      std::unique(dirs.begin(), dirs.end(),
                  [](std::string_view a, std::string_view b) { return a.data() == b.data(); }),
      dirs.end());
  return out;
}

}  // namespace keelson::logs
