#include "collectors/logs/safe_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace keelson::logs {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

std::atomic<bool> g_openat2_unavailable{false};

Failure errnoFailure(int err, std::string_view relative) {
  const std::string path(relative);
  switch (err) {
    case ELOOP:
      return fail(std::string(kRefusedSymlink), path + ": a path component is a symlink");
    case EXDEV:
      return fail(std::string(kRefusedOutsideRoot), path + ": resolves outside the log root");
    case ENOENT:
      return fail(std::string(kOpenNotFound), path + ": not found");
    default:
      return fail(std::string(kOpenFailed), path + ": " + std::strerror(err));
  }
}

// Absolute paths, empty components and ".." never name something beneath the root.
bool escapesRoot(std::string_view relative) {
  if (relative.empty() || relative.front() == '/') return true;
  std::size_t i = 0;
  while (i <= relative.size()) {
    const auto slash = relative.find('/', i);
    const auto comp =
        relative.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    if (comp == "..") return true;
    if (slash == std::string_view::npos) break;
    i = slash + 1;
  }
  return false;
}

Result<Fd> checkType(Fd fd, std::string_view relative, bool directory) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errnoFailure(errno, relative);
  const bool ok = directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
  if (!ok) {
    return fail(std::string(kRefusedNotRegular),
                std::string(relative) + (directory ? ": not a directory" : ": not a regular file"));
  }
  return fd;
}

int fileFlags(bool directory) {
  return O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (directory ? O_DIRECTORY : 0);
}

}  // namespace

Result<Fd> openRoot(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? "RootNotFound" : "RootOpenFailed",
                "log root " + path + ": " + std::strerror(err));
  }
  return Fd(fd);
}

namespace detail {

Result<Fd> openBeneathByComponent(int root_fd, std::string_view relative, bool directory) {
  if (escapesRoot(relative)) {
    return fail(std::string(kRefusedOutsideRoot), std::string(relative) + ": leaves the log root");
  }
  Fd current;
  int dir = root_fd;
  std::size_t i = 0;
  for (;;) {
    const auto slash = relative.find('/', i);
    const bool last = slash == std::string_view::npos;
    const std::string comp(relative.substr(i, last ? std::string_view::npos : slash - i));
    i = last ? relative.size() : slash + 1;
    if (comp.empty() || comp == ".") {
      if (last) break;
      continue;
    }
    const int flags =
        last ? fileFlags(directory) : (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY);
    const int fd = ::openat(dir, comp.c_str(), flags);
    if (fd < 0) {
      int err = errno;
      if (err == ENOTDIR) {
        struct stat st {};
        if (::fstatat(dir, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
          err = ELOOP;
        }
      }
      return errnoFailure(err, relative);
    }
    current = Fd(fd);
    dir = current.get();
    if (last) break;
  }
  if (!current) return fail(std::string(kRefusedOutsideRoot), "empty path");
  return checkType(std::move(current), relative, directory);
}

}  // namespace detail

Result<Fd> openBeneath(int root_fd, std::string_view relative, bool directory) {
  if (escapesRoot(relative)) {
    return fail(std::string(kRefusedOutsideRoot), std::string(relative) + ": leaves the log root");
  }
  if (!g_openat2_unavailable.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(fileFlags(directory));
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const std::string path(relative);
    const long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) return checkType(Fd(static_cast<int>(fd)), relative, directory);
    const int err = errno;
    if (err != ENOSYS && err != EPERM && err != E2BIG) return errnoFailure(err, relative);
    // No openat2 (old kernel, or a seccomp profile that denies it): remember and fall back.
    g_openat2_unavailable.store(true, std::memory_order_relaxed);
  }
  return detail::openBeneathByComponent(root_fd, relative, directory);
}

}  // namespace keelson::logs
