#include "collectors/cgroup/subdirs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/common/file.h"

namespace keelson::cgroup {
namespace {

// A cgroup created, removed or renamed under the directory, or the directory itself gone.
constexpr std::uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW;

}  // namespace

bool listSubdirs(const std::string& dir, std::vector<Subdir>& out, ErrorCounts& errors) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    const int err = errno;
    errors.add(err == ENOENT ? "CgroupVanished" : errnoReason(err));
    out.clear();
    return false;
  }
  std::size_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir =
          ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (!is_dir) continue;
    // The previous listing's strings are reused: an unchanged directory allocates nothing.
    if (n == out.size()) out.emplace_back();
    out[n].name.assign(name);
    out[n].ino = static_cast<std::uint64_t>(e->d_ino);
    ++n;
  }
  ::closedir(d);
  out.resize(n);
  return true;
}

void decodeSubdirEvents(std::string_view buffer, SubdirEvents& out) {
  std::size_t at = 0;
  while (buffer.size() - at >= sizeof(inotify_event)) {
    inotify_event ev;
    std::memcpy(&ev, buffer.data() + at, sizeof(ev));
    at += sizeof(ev) + ev.len;
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      out.overflow = true;
    } else if ((ev.mask & IN_IGNORED) != 0) {
      out.gone.push_back(ev.wd);
    } else if (ev.wd >= 0) {
      out.changed.push_back(ev.wd);
    }
  }
}

SubdirCache::SubdirCache() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

SubdirCache::~SubdirCache() {
  if (fd_ >= 0) ::close(fd_);
}

void SubdirCache::drain() {
  if (fd_ < 0) return;
  // Room for at least one event with the longest name.
  if (buf_.empty()) buf_.resize(16 * (sizeof(inotify_event) + NAME_MAX + 1));
  events_.changed.clear();
  events_.gone.clear();
  events_.overflow = false;
  for (;;) {
    const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      break;  // EAGAIN: nothing more queued
    }
    decodeSubdirEvents(std::string_view(buf_.data(), static_cast<std::size_t>(n)), events_);
  }
  if (events_.overflow) {
    for (auto& [dir, e] : dirs_)
      e.valid = false;
    ++generation_;
  }
  for (const int wd : events_.changed) {
    if (const auto it = by_wd_.find(wd); it != by_wd_.end()) {
      it->second->valid = false;
      ++generation_;
    }
  }
  for (const int wd : events_.gone) {
    // The next listing watches the directory afresh (or finds it gone).
    if (const auto it = by_wd_.find(wd); it != by_wd_.end()) {
      it->second->valid = false;
      it->second->wd = -1;
      by_wd_.erase(it);
      ++generation_;
    }
  }
}

std::uint64_t SubdirCache::refresh() {
  drain();
  return generation_;
}

const std::vector<Subdir>* SubdirCache::list(const std::string& dir, ErrorCounts& errors) {
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) it = dirs_.emplace(dir, Entry{}).first;
  Entry& e = it->second;
  e.used = true;
  if (e.valid) return &e.subdirs;
  ++generation_;
  if (fd_ >= 0 && e.wd < 0) {
    // Before the listing: a change after it is an event. A second path to a directory already
    // watched (the same inode) gets the same descriptor: that one stays unwatched here.
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd >= 0 && by_wd_.emplace(wd, &e).second) e.wd = wd;
  }
  if (!listSubdirs(dir, e.subdirs, errors)) {
    forget(e);
    return nullptr;
  }
  e.valid = e.wd >= 0;
  return &e.subdirs;
}

void SubdirCache::forget(Entry& e) {
  if (e.wd >= 0) {
    ::inotify_rm_watch(fd_, e.wd);
    by_wd_.erase(e.wd);
    e.wd = -1;
  }
  e.valid = false;
}

void SubdirCache::sweep() {
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (!it->second.used) {
      forget(it->second);
      it = dirs_.erase(it);
      ++generation_;
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace keelson::cgroup
