#include "collectors/logroot/names.h"

#include <algorithm>
#include <array>

namespace keelson::logroot {
namespace {

constexpr std::size_t kContainerIdLength = 64;

bool isLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Splits `s` at `sep` into exactly N non-empty fields.
template <std::size_t N>
std::optional<std::array<std::string_view, N>> splitExactly(std::string_view s, char sep) {
  std::array<std::string_view, N> fields;
  for (std::size_t i = 0; i < N; ++i) {
    const auto pos = (i + 1 < N) ? s.find(sep) : std::string_view::npos;
    if (i + 1 < N && pos == std::string_view::npos) return std::nullopt;
    fields[i] = s.substr(0, pos);
    if (fields[i].empty()) return std::nullopt;
    s = (pos == std::string_view::npos) ? std::string_view{} : s.substr(pos + 1);
  }
  if (fields[N - 1].find(sep) != std::string_view::npos) return std::nullopt;
  return fields;
}

// "<n>.log" or "<n>.log.<timestamp>" with <n> a decimal restart count.
std::optional<bool> logFileRotated(std::string_view name) {
  const auto dot = name.find(".log");
  if (dot == 0 || dot == std::string_view::npos) return std::nullopt;
  if (!std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(dot),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto rest = name.substr(dot + 4);
  if (rest.empty()) return false;
  if (rest.size() < 2 || rest[0] != '.') return std::nullopt;
  return true;
}

}  // namespace

std::optional<PodDirName> parsePodDirName(std::string_view name) {
  const auto fields = splitExactly<3>(name, '_');
  if (!fields) return std::nullopt;
  return PodDirName{std::string((*fields)[0]), std::string((*fields)[1]),
                    std::string((*fields)[2])};
}

std::optional<ContainerLinkName> parseContainerLinkName(std::string_view name) {
  constexpr std::string_view kSuffix = ".log";
  if (!name.ends_with(kSuffix)) return std::nullopt;
  name.remove_suffix(kSuffix.size());
  const auto fields = splitExactly<3>(name, '_');
  if (!fields) return std::nullopt;
  const std::string_view tail = (*fields)[2];  // <container>-<id>
  const auto dash = tail.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  const auto id = tail.substr(dash + 1);
  if (id.size() != kContainerIdLength || !isLowerHex(id)) return std::nullopt;
  return ContainerLinkName{std::string((*fields)[0]), std::string((*fields)[1]),
                           std::string(tail.substr(0, dash)), std::string(id)};
}

std::optional<PodLogPath> parsePodLogPath(std::string_view path) {
  const auto parts = splitExactly<4>(path, '/');
  if (!parts || (*parts)[0] != "pods") return std::nullopt;
  auto pod = parsePodDirName((*parts)[1]);
  const auto rotated = logFileRotated((*parts)[3]);
  if (!pod || !rotated) return std::nullopt;
  return PodLogPath{std::move(*pod), std::string((*parts)[2]), std::string((*parts)[3]), *rotated};
}

std::optional<std::string> containerLinkTarget(const ContainerLinkName& link,
                                               std::string_view target) {
  // The last four components: pods/<pod dir>/<container>/<n>.log.
  std::size_t start = target.size();
  bool whole = false;  // a relative target of exactly four components
  for (int i = 0; i < 4; ++i) {
    const auto slash = start == 0 ? std::string_view::npos : target.rfind('/', start - 1);
    if (slash == std::string_view::npos) {
      if (i < 3) return std::nullopt;
      whole = true;
      break;
    }
    start = slash;
  }
  const std::string_view rel = whole ? target : target.substr(start + 1);
  const auto parsed = parsePodLogPath(rel);
  if (!parsed || parsed->rotated) return std::nullopt;
  if (parsed->pod.namespace_name != link.namespace_name || parsed->pod.pod_name != link.pod_name ||
      parsed->container_name != link.container_name) {
    return std::nullopt;
  }
  return std::string(rel);
}

std::optional<std::string_view> liveLogName(std::string_view file_name) {
  if (!logFileRotated(file_name)) return std::nullopt;
  return file_name.substr(0, file_name.find(".log") + 4);
}

}  // namespace keelson::logroot
