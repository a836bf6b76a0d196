#include "agent/sinks/http/http_sink_options.h"

#include <fmt/format.h>

#include <charconv>
#include <string>

#include "collectors/common/units.h"

namespace keelson::sinks {
namespace {

Failure invalid(std::string_view spec, const std::string& why) {
  return fail("InvalidSink", fmt::format("sink '{}': {}; expected "
                                         "http://HOST[:PORT][/PATH][?batch_bytes=SIZE&"
                                         "batch_records=N&timeout=DURATION]",
                                         spec, why));
}

bool printableWithoutSpace(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':';
}

}  // namespace

std::string HttpSinkOptions::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}{}", v6 ? "[" : "", host, v6 ? "]" : "", port, target);
}

bool isHttpSinkSpec(std::string_view spec) {
  return spec.starts_with("http://") || spec.starts_with("https://");
}

Result<HttpSinkOptions> parseHttpSinkSpec(std::string_view spec, std::size_t max_record_bytes) {
  if (spec.starts_with("https://")) {
    return invalid(spec, "https is not supported by the http sink yet (plain http only)");
  }
  if (!spec.starts_with("http://")) return invalid(spec, "not an http:// URL");
  HttpSinkOptions o;
  std::string_view rest = spec.substr(7);
  if (!printableWithoutSpace(rest)) {
    return invalid(spec, "the URL holds a space or a control character");
  }

  // Authority: up to the first '/' or '?'.
  const auto authorityEnd = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authorityEnd);
  rest = authorityEnd == std::string_view::npos ? std::string_view{} : rest.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos) {
    return invalid(spec, "user information in the URL is not supported");
  }
  std::string_view host;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid(spec, "unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return invalid(spec, "bad text after ']'");
    if (!after.empty()) port = after.substr(1);
    if (after == ":") return invalid(spec, "empty port");
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return invalid(spec, "empty port");
    }
    if (host.find(':') != std::string_view::npos) {
      return invalid(spec, "an IPv6 host must be written in brackets");
    }
  }
  if (host.empty()) return invalid(spec, "no host");
  for (const char c : host) {
    if (!hostChar(c)) return invalid(spec, fmt::format("'{}' is not a host name", host));
  }
  o.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return invalid(spec, fmt::format("port '{}' is not a number from 1 to 65535", port));
    }
    o.port = static_cast<std::uint16_t>(value);
  }

  // Path (kept with any query that is not ours would be ambiguous: options are the whole query).
  const auto queryStart = rest.find('?');
  const std::string_view path = rest.substr(0, queryStart);
  o.target = path.empty() ? "/" : std::string(path);
  if (queryStart == std::string_view::npos) return o;
  std::string_view query = rest.substr(queryStart + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return invalid(spec, fmt::format("option '{}' has no value", pair));
    }
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    if (key == "batch_bytes") {
      auto b = parseByteSize(value);
      if (!b) return invalid(spec, "batch_bytes: " + b.error().message);
      if (*b <= max_record_bytes) {
        return invalid(spec, fmt::format("batch_bytes must be more than the largest record ({} "
                                         "bytes, logs.max_record_bytes)",
                                         max_record_bytes));
      }
      o.batch_bytes = static_cast<std::size_t>(*b);
    } else if (key == "batch_records") {
      unsigned n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n == 0 || n > 100'000) {
        return invalid(spec,
                       fmt::format("batch_records '{}' is not a number from 1 to 100000", value));
      }
      o.batch_records = n;
    } else if (key == "timeout") {
      auto d = parseDuration(value);
      if (!d) return invalid(spec, "timeout: " + d.error().message);
      if (d->count() <= 0 || *d > std::chrono::minutes(10)) {
        return invalid(spec, fmt::format("timeout '{}' must be from 1ms to 10m", value));
      }
      o.timeout = *d;
    } else {
      return invalid(spec,
                     fmt::format("unknown option '{}' (batch_bytes, batch_records, timeout)", key));
    }
  }
  return o;
}

}  // namespace keelson::sinks
