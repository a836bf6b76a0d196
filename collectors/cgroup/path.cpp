#include "collectors/cgroup/path.h"

#include <algorithm>

namespace keelson::cgroup {
namespace {

constexpr std::size_t kIdLength = 64;

bool isHexId(std::string_view s) {
  return s.size() == kIdLength && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A uid is 36 characters of hex and '-' (the systemd form uses '_' instead of '-').
bool isUidChars(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-' || c == '_';
  });
}

}  // namespace

std::optional<std::string> podUidFromDirName(std::string_view name) {
  std::string_view uid;
  if (name.ends_with(".slice")) {
    name.remove_suffix(6);
    // kubepods-pod<uid>, kubepods-burstable-pod<uid>, kubepods-besteffort-pod<uid>
    const auto pos = name.rfind("-pod");
    if (!name.starts_with("kubepods-") || pos == std::string_view::npos) return std::nullopt;
    uid = name.substr(pos + 4);
  } else if (name.starts_with("pod")) {
    uid = name.substr(3);
  } else {
    return std::nullopt;
  }
  if (!isUidChars(uid)) return std::nullopt;
  std::string out(uid);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::optional<std::string> containerIdFromDirName(std::string_view name) {
  // "<anything>:cri-containerd:<id>" and other colon forms: the id is the last field.
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    const auto id = name.substr(colon + 1);
    if (isHexId(id)) return std::string(id);
    return std::nullopt;
  }
  if (name.ends_with(".scope")) {
    name.remove_suffix(6);
    for (std::string_view prefix : {"cri-containerd-", "crio-", "docker-"}) {
      if (name.starts_with(prefix)) {
        const auto id = name.substr(prefix.size());
        if (isHexId(id)) return std::string(id);
        return std::nullopt;
      }
    }
    return std::nullopt;
  }
  if (isHexId(name)) return std::string(name);
  return std::nullopt;
}

bool isQosDirName(std::string_view name) {
  return name == "kubepods-burstable.slice" || name == "kubepods-besteffort.slice" ||
         name == "burstable" || name == "besteffort";
}

}  // namespace keelson::cgroup
