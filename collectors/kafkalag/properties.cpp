#include "collectors/kafkalag/properties.h"

#include <cctype>

#include "collectors/common/file.h"

namespace keelson::kafkalag {
namespace {

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
    ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
    --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

bool isSecretProperty(std::string_view key) {
  for (const char* secret :
       {"sasl.password", "sasl.username", "ssl.key.password", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config", "ssl.key.pem", "ssl.keystore.password"}) {
    if (key == secret) return true;
  }
  return false;
}

Result<std::vector<Property>> parseKafkaProperties(const std::string& text,
                                                   const std::string& where) {
  std::vector<Property> out;
  int lineNo = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    ++lineNo;
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const std::string at = where + ":" + std::to_string(lineNo) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      return fail("ConfigError", at + "expected key=value");
    }
    Property p;
    p.line = lineNo;
    p.key = trim(std::string_view(line).substr(0, eq));
    p.value = trim(std::string_view(line).substr(eq + 1));
    if (p.key.size() > 5 && p.key.compare(p.key.size() - 5, 5, ".file") == 0) {
      p.key.resize(p.key.size() - 5);
      p.from_file = true;
    }
    if (p.key.empty()) return fail("ConfigError", at + "empty key");
    for (unsigned char c : p.key) {
      if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') {
        return fail("ConfigError", at + "\"" + p.key + "\" is not a property name");
      }
    }
    if (p.key == "bootstrap.servers") {
      return fail("ConfigError",
                  at + "bootstrap.servers comes from each KafkaLag metric (bootstrapServers)");
    }
    if (isSecretProperty(p.key) && !p.from_file) {
      // The value is not repeated: it is the secret.
      return fail("ConfigError", at + p.key + " is a secret: write " + p.key +
                                     ".file=<path of a mounted Secret> instead of its value");
    }
    if (p.from_file && p.value.empty()) {
      return fail("ConfigError", at + p.key + ".file needs a path");
    }
    for (const auto& seen : out) {
      if (seen.key == p.key) {
        return fail("ConfigError",
                    at + p.key + " is already set at line " + std::to_string(seen.line));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> resolveKafkaProperties(
    const std::vector<Property>& properties) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : properties) {
    if (!p.from_file) {
      out.emplace_back(p.key, p.value);
      continue;
    }
    auto text = readSmallFile(p.value, 64 * 1024);
    if (!text) {
      return fail("ConfigError",
                  "cannot read " + p.key + ".file " + p.value + ": " + text.error().reason);
    }
    std::string value = trim(*text);
    if (value.empty()) return fail("ConfigError", p.key + ".file " + p.value + " is empty");
    out.emplace_back(p.key, std::move(value));
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> loadKafkaProperties(
    const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return fail("ConfigError", "cannot read " + path + ": " + text.error().reason);
  auto parsed = parseKafkaProperties(*text, path);
  if (!parsed) return fail(parsed.error());
  return resolveKafkaProperties(*parsed);
}

}  // namespace keelson::kafkalag
