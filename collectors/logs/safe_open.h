// Opening files under the log root without following symlinks. A container that can write under
// /var/log must not make the agent read /etc/shadow: every path is resolved from a directory fd of
// the log root, component by component, refusing symlinks and anything that leaves the root.
//
// Uses openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) when the kernel has
// it (Linux >= 5.6), else openat(O_NOFOLLOW) on each component with ".." and absolute paths
// refused.
#pragma once

#include <string>
#include <string_view>

#include "collectors/common/result.h"

namespace keelson::logs {

// Refusal reasons (Error::reason of a failed openBeneath), stable metric labels for
// keelson_log_paths_refused_total{reason}.
inline constexpr std::string_view kRefusedSymlink = "Symlink";            // a component is a link
inline constexpr std::string_view kRefusedOutsideRoot = "OutsideRoot";    // "..", absolute, EXDEV
inline constexpr std::string_view kRefusedNotRegular = "NotRegularFile";  // a FIFO, device, dir...
// A regular file with more than one link (st_nlink > 1): possibly a hard link to a file outside
// the root. Refused by the tailer when it finds a new file (openBeneath cannot tell).
inline constexpr std::string_view kRefusedHardLink = "HardLink";
// Other failures (the file vanished: "NotFound"; anything else: "OpenFailed") are not refusals.
inline constexpr std::string_view kOpenNotFound = "NotFound";
inline constexpr std::string_view kOpenFailed = "OpenFailed";

// An owned file descriptor (closes on destruction). Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Opens the log root itself (O_DIRECTORY; the root may be a symlink: it is configuration).
Result<Fd> openRoot(const std::string& path);

// Opens `relative` (e.g. "pods/ns_pod_uid/app/0.log") beneath `root_fd`, read-only, O_CLOEXEC,
// never following a symlink. `directory` asks for O_DIRECTORY (else a regular file is required).
Result<Fd> openBeneath(int root_fd, std::string_view relative, bool directory = false);

namespace detail {
// The component-by-component fallback, exposed so tests exercise it on kernels with openat2.
Result<Fd> openBeneathByComponent(int root_fd, std::string_view relative, bool directory);
}  // namespace detail

}  // namespace keelson::logs
