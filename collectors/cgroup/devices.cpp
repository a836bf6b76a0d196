#include "collectors/cgroup/devices.h"

#include <fmt/format.h>
#include <unistd.h>

namespace keelson::cgroup {

const std::string& DeviceNames::name(DeviceNumber device) {
  if (auto it = cache_.find(device); it != cache_.end()) return it->second;
  std::string number = fmt::format("{}:{}", device.major, device.minor);
  std::string result = number;
  if (!sys_root_.empty()) {
    const std::string link = sys_root_ + "/dev/block/" + number;
    char target[512];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (n > 0) {
      const std::string_view t(target, static_cast<std::size_t>(n));
      const auto slash = t.rfind('/');
      const auto base = slash == std::string_view::npos ? t : t.substr(slash + 1);
      if (!base.empty()) result = "/dev/" + std::string(base);
    }
  }
  return cache_.emplace(device, std::move(result)).first->second;
}

std::string sysRootForCgroupRoot(const std::string& cgroup_root) {
  std::string_view r = cgroup_root;
  while (r.size() > 1 && r.back() == '/')
    r.remove_suffix(1);
  constexpr std::string_view kSuffix = "/fs/cgroup";
  if (!r.ends_with(kSuffix)) return {};
  r.remove_suffix(kSuffix.size());
  return std::string(r.empty() ? "/" : r);
}

}  // namespace keelson::cgroup
