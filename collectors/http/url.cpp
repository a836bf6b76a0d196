#include "collectors/http/url.h"

#include <cctype>
#include <cstdlib>

namespace keelson::http {

Result<Url> parseUrl(const std::string& url) {
  auto bad = [&](const char* what) { return fail("ConfigError", "URL '" + url + "' " + what); };
  for (char c : url) {
    if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ') {
      // Not echoed: the URL itself would carry the control character into a log line.
      return fail("ConfigError", "URL contains a space or control character");
    }
  }
  const auto sep = url.find("://");
  if (sep == std::string::npos) return bad("has no scheme");
  Url out;
  out.scheme = url.substr(0, sep);
  if (out.scheme != "https" && out.scheme != "http") return bad("must be http or https");
  std::string rest = url.substr(sep + 3);
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    out.target = rest.substr(slash);
    rest.resize(slash);
  }
  std::string portText;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) return bad("has a bad IPv6");
    out.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') portText = rest.substr(close + 2);
  } else if (const auto colon = rest.find(':'); colon != std::string::npos) {
    out.host = rest.substr(0, colon);
    portText = rest.substr(colon + 1);
  } else {
    out.host = rest;
  }
  if (out.host.empty()) return bad("has no host");
  if (portText.empty()) {
    out.port = out.scheme == "https" ? 443 : 80;
  } else {
    char* end = nullptr;
    const long port = std::strtol(portText.c_str(), &end, 10);
    if (end == portText.c_str() || *end != '\0' || port <= 0 || port > 65535) {
      return bad("has a bad port");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::string queryEscape(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace keelson::http
