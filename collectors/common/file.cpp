#include "collectors/common/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keelson {

std::string errnoReason(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ESRCH:   // /proc/<pid>/... of a process that just exited
    case ENODEV:  // a cgroup file read after its cgroup was removed
      return "NotFound";
    case EACCES:
    case EPERM:
      return "PermissionDenied";
    default:
      return "IoError";
  }
}

Status readSmallFile(const std::string& path, std::string& out, std::size_t limit) {
  out.clear();
  // O_NOFOLLOW is not used: cgroup and proc files are not links, and /proc/<pid>/net is one.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(errnoReason(err), fmt::format("{}: {}", path, std::strerror(err)));
  }
  // Kernel pseudo-files report size 0, so read until EOF in chunks instead of trusting fstat.
  constexpr std::size_t kChunk = 4096;
  for (;;) {
    const std::size_t used = out.size();
    if (used > limit) {
      ::close(fd);
      return fail("TooLarge", fmt::format("{}: larger than {} bytes", path, limit));
    }
    out.resize(used + kChunk);
    const ssize_t n = ::read(fd, out.data() + used, kChunk);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) {
        out.resize(used);
        continue;
      }
      out.clear();
      ::close(fd);
      return fail(errnoReason(err), fmt::format("{}: {}", path, std::strerror(err)));
    }
    out.resize(used + static_cast<std::size_t>(n));
    if (n == 0) break;
  }
  ::close(fd);
  return {};
}

Result<std::string> readSmallFile(const std::string& path, std::size_t limit) {
  std::string out;
  if (auto status = readSmallFile(path, out, limit); !status) return fail(status.error());
  return out;
}

}  // namespace keelson
