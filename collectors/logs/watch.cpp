#include "collectors/logs/watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

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

void DirWatcher::add(int dir_fd, const std::string& rel) {
  if (fd_ < 0) return;
  const std::string proc = "/proc/self/fd/" + std::to_string(dir_fd);
  const int wd = ::inotify_add_watch(fd_, proc.c_str(),
                                     IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                         IN_MODIFY | IN_DELETE_SELF | IN_ONLYDIR);
  if (wd >= 0) watches_[wd] = rel;
}

WatchEvents DirWatcher::drain() {
  WatchEvents out;
  if (fd_ < 0) return out;
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;
    decodeWatchEvents(std::string_view(buf, static_cast<std::size_t>(n)), watches_, out);
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
