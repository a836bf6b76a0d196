#include "collectors/cgroup/parse.h"

#include <charconv>

namespace keelson::cgroup {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

template <typename T>
std::optional<T> parseWhole(std::string_view s) {
  T value{};
  if (s.empty()) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

namespace detail {
bool splitKeyValue(std::string_view line, std::string_view& key, std::uint64_t& value) {
  const auto sp = line.find(' ');
  if (sp == 0 || sp == std::string_view::npos) return false;
  key = line.substr(0, sp);
  const auto v = parseWhole<std::uint64_t>(trim(line.substr(sp + 1)));
  if (!v) return false;
  value = *v;
  return true;
}
}  // namespace detail

std::optional<std::uint64_t> parseUint(std::string_view text) {
  return parseWhole<std::uint64_t>(trim(text));
}

std::optional<std::int64_t> parseInt(std::string_view text) {
  return parseWhole<std::int64_t>(trim(text));
}

std::optional<MaxOrValue> parseMaxOrUint(std::string_view text) {
  text = trim(text);
  if (text == "max") return MaxOrValue{true, 0};
  const auto v = parseWhole<std::uint64_t>(text);
  if (!v) return std::nullopt;
  return MaxOrValue{false, *v};
}

std::optional<CpuMax> parseCpuMax(std::string_view text) {
  text = trim(text);
  const auto sp = text.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  const auto quota = parseMaxOrUint(text.substr(0, sp));
  const auto period = parseWhole<std::uint64_t>(text.substr(sp + 1));
  if (!quota || !period) return std::nullopt;
  return CpuMax{quota->is_max ? 0 : quota->value, *period};
}

std::optional<Psi> parsePsi(std::string_view text) {
  Psi psi;
  bool has_some = false;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = (nl == std::string_view::npos) ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    const bool some = line.starts_with("some ");
    const bool full = line.starts_with("full ");
    if (!some && !full) return std::nullopt;
    const auto pos = line.find(" total=");
    if (pos == std::string_view::npos) return std::nullopt;
    auto rest = line.substr(pos + 7);
    const auto end = rest.find(' ');
    const auto total = parseWhole<std::uint64_t>(rest.substr(0, end));
    if (!total) return std::nullopt;
    if (some) {
      psi.some_total_usec = *total;
      has_some = true;
    } else {
      psi.full_total_usec = *total;
      psi.has_full = true;
    }
  }
  if (!has_some) return std::nullopt;
  return psi;
}

std::optional<DeviceNumber> parseDeviceNumber(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto major = parseWhole<std::uint32_t>(text.substr(0, colon));
  const auto minor = parseWhole<std::uint32_t>(text.substr(colon + 1));
  if (!major || !minor) return std::nullopt;
  return DeviceNumber{*major, *minor};
}

std::optional<std::uint64_t> cpuWeightToShares(std::uint64_t weight) {
  if (weight < 1 || weight > 10000) return std::nullopt;
  return 2 + ((weight - 1) * 262142) / 9999;
}

}  // namespace keelson::cgroup
