// Block device names for io.stat's "major:minor", the way cAdvisor labels them ("/dev/sda"):
// the name of the link <sys>/dev/block/<major>:<minor> (read with readlink, never followed),
// else "major:minor". Results are cached; not thread-safe (one per scraping thread).
#pragma once

#include <map>
#include <string>

#include "collectors/cgroup/parse.h"

namespace keelson::cgroup {

class DeviceNames {
 public:
  // `sys_root` may be empty: then every device is named "major:minor".
  explicit DeviceNames(std::string sys_root) : sys_root_(std::move(sys_root)) {}
  const std::string& name(DeviceNumber device);

 private:
  std::string sys_root_;
  std::map<DeviceNumber, std::string> cache_;
};

// The sysfs root that goes with a cgroup root: "<x>/sys/fs/cgroup" -> "<x>/sys"; else "".
std::string sysRootForCgroupRoot(const std::string& cgroup_root);

}  // namespace keelson::cgroup
