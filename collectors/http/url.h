// URLs for the HTTP clients: "http[s]://host[:port][/path[?query]]" split into what the transport
// needs (scheme, host for SNI and verification, port) and the request target, and query
// escaping. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "collectors/common/result.h"

namespace keelson::http {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // name or IP literal (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string target;  // path and query as given ("" when the URL has none)
};

// Errors: "ConfigError", "URL '<url>' has no scheme / must be http or https / has a bad IPv6 /
// has no host / has a bad port", or "URL contains a space or control character" (not echoed).
Result<Url> parseUrl(const std::string& url);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string queryEscape(const std::string& value);

}  // namespace keelson::http
