#include "collectors/kube/names.h"

#include <cstdio>

namespace keelson::kube {
namespace {

constexpr std::size_t kLabelMax = 63;
constexpr std::size_t kSubdomainMax = 253;

bool lowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isLabel(std::string_view v) {
  if (v.empty() || v.size() > kLabelMax) return false;
  if (!lowerAlnum(v.front()) || !lowerAlnum(v.back())) return false;
  for (char c : v) {
    if (!lowerAlnum(c) && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string quoteForMessage(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02X", c);
          out += hex;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

std::optional<std::string> checkDns1123Label(std::string_view value) {
  if (value.size() > kLabelMax) {
    return quoteForMessage(value) + " must be no more than 63 characters (a DNS-1123 label)";
  }
  if (isLabel(value)) return std::nullopt;
  return quoteForMessage(value) +
         " is not a DNS-1123 label: it must consist of lower case alphanumeric characters or '-', "
         "and must start and end with an alphanumeric character (e.g. 'my-name' or '123-abc')";
}

std::optional<std::string> checkDns1123Subdomain(std::string_view value) {
  if (value.size() > kSubdomainMax) {
    return quoteForMessage(value) + " must be no more than 253 characters (a DNS-1123 subdomain)";
  }
  bool ok = !value.empty();
  std::size_t start = 0;
  while (ok) {
    const auto dot = value.find('.', start);
    const auto part = value.substr(start, dot == std::string_view::npos ? dot : dot - start);
    // Each part follows the label's character rules; only the whole has a length limit.
    ok = !part.empty() && lowerAlnum(part.front()) && lowerAlnum(part.back());
    for (char c : part)
      ok = ok && (lowerAlnum(c) || c == '-');
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (ok) return std::nullopt;
  return quoteForMessage(value) +
         " is not a DNS-1123 subdomain: it must consist of lower case alphanumeric characters, "
         "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
}

std::optional<std::string> checkNamespace(std::string_view ns) {
  return checkDns1123Label(ns);
}

std::optional<std::string> checkObjectName(std::string_view, std::string_view name) {
  // Deployments, StatefulSets, ReplicaSets, ReplicationControllers and custom resources all use
  // NameIsDNSSubdomain; the kind is an argument so a kind with another rule has one place to go.
  return checkDns1123Subdomain(name);
}

std::optional<std::string> checkKind(std::string_view kind) {
  bool ok = !kind.empty() && kind.size() <= kLabelMax &&
            ((kind[0] >= 'A' && kind[0] <= 'Z') || (kind[0] >= 'a' && kind[0] <= 'z'));
  for (char c : kind) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  }
  if (ok) return std::nullopt;
  return quoteForMessage(kind) +
         " is not a kind: it must be letters and digits, starting with a letter "
         "(e.g. Deployment)";
}

std::optional<std::string> checkApiVersion(std::string_view apiVersion) {
  const auto slash = apiVersion.find('/');
  const auto version = slash == std::string_view::npos ? apiVersion : apiVersion.substr(slash + 1);
  bool ok = isLabel(version);
  if (slash != std::string_view::npos) {
    ok = ok && !checkDns1123Subdomain(apiVersion.substr(0, slash));
  }
  if (ok) return std::nullopt;
  return quoteForMessage(apiVersion) +
         " is not an apiVersion: write GROUP/VERSION (e.g. apps/v1) or VERSION for the core "
         "group (v1)";
}

}  // namespace keelson::kube
