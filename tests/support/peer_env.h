// Reads the env files the peer fixtures write (tests/peers/README.md):
// $KEELSON_PEERS_DIR/<peer>.env, KEY=VALUE lines. A test whose peer is not up fails with the
// reason; it never skips.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace keelson::testing {

inline std::map<std::string, std::string> loadPeerEnv(const std::string& peer) {
  const char* dir = std::getenv("KEELSON_PEERS_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error("KEELSON_PEERS_DIR is not set: run this test through ctest, whose " +
                             peer + " fixture starts the peer");
  }
  const std::string path = std::string(dir) + "/" + peer + ".env";
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error(path + " is missing: the " + peer +
                             " peer did not start (see its log under " + dir + ")");
  }
  std::map<std::string, std::string> env;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    env[line.substr(0, eq)] = value;
  }
  return env;
}

inline std::string peerValue(const std::map<std::string, std::string>& env,
                             const std::string& key) {
  const auto it = env.find(key);
  if (it == env.end()) throw std::runtime_error("peer env has no " + key);
  return it->second;
}

}  // namespace keelson::testing
