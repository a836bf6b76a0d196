#include "collectors/kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <exception>

#include "collectors/common/file.h"
#include "collectors/http/url.h"

namespace keelson::kube {
namespace {

Failure configError(const std::string& message) {
  return fail("ConfigError", message);
}

std::string joinPath(const std::string& base, const std::string& path) {
  if (path.empty() || path.front() == '/' || base.empty()) return path;
  return base + "/" + path;
}

// Finds the entry named `name` in a kubeconfig list (clusters/users/contexts) and returns its
// `field` map ("cluster", "user", "context").
YAML::Node findNamed(const YAML::Node& list, const std::string& name, const std::string& field) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry[field];
  }
  return YAML::Node();
}

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  if (!value || !value.IsScalar()) return "";
  return value.as<std::string>();
}

// Reads PEM material either inline (base64 `<key>-data`) or from a file (`<key>`).
Status pemField(const YAML::Node& node, const std::string& key, const std::string& baseDir,
                const std::string& what, std::string& out) {
  const std::string data = scalar(node, (key + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64Decode(data);
    if (!decoded) return configError(what + ": " + key + "-data is not valid base64");
    out = std::move(decoded).value();
    return {};
  }
  const std::string file = scalar(node, key.c_str());
  if (file.empty()) return {};
  auto contents = readSmallFile(joinPath(baseDir, file));
  if (!contents) {
    return configError(what + ": cannot read " + key + " " + joinPath(baseDir, file) + ": " +
                       contents.error().message);
  }
  out = std::move(contents).value();
  return {};
}

}  // namespace

Status parseServerUrl(const std::string& url, ClusterConfig& into) {
  auto parsed = http::parseUrl(url);
  if (!parsed) return configError("server " + parsed.error().message);
  into.scheme = parsed->scheme;
  into.host = parsed->host;
  into.port = parsed->port;
  return {};
}

Result<ClusterConfig> parseKubeconfig(const std::string& yamlText, const std::string& baseDir,
                                      const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::Load(yamlText);
  } catch (const std::exception& e) {
    return configError(std::string("kubeconfig is not valid YAML: ") + e.what());
  }
  if (!root || !root.IsMap()) return configError("kubeconfig is not a YAML map");
  try {
    const std::string contextName = context.empty() ? scalar(root, "current-context") : context;
    if (contextName.empty()) return configError("kubeconfig has no current-context");
    const YAML::Node ctx = findNamed(root["contexts"], contextName, "context");
    if (!ctx || !ctx.IsMap())
      return configError("kubeconfig has no context named '" + contextName + "'");
    const std::string clusterName = scalar(ctx, "cluster");
    const YAML::Node cluster = findNamed(root["clusters"], clusterName, "cluster");
    if (!cluster || !cluster.IsMap())
      return configError("kubeconfig has no cluster named '" + clusterName + "'");
    ClusterConfig config;
    if (auto ns = scalar(ctx, "namespace"); !ns.empty()) config.namespace_ = ns;
    if (auto st = parseServerUrl(scalar(cluster, "server"), config); !st) {
      return fail("ConfigError", "kubeconfig cluster '" + clusterName + "': " + st.error().message);
    }
    config.insecure_skip_verify = scalar(cluster, "insecure-skip-tls-verify") == "true";
    if (auto st = pemField(cluster, "certificate-authority", baseDir, "cluster " + clusterName,
                           config.ca_pem);
        !st) {
      return fail(st.error());
    }
    const std::string userName = scalar(ctx, "user");
    if (!userName.empty()) {
      const YAML::Node user = findNamed(root["users"], userName, "user");
      if (!user || !user.IsMap())
        return configError("kubeconfig has no user named '" + userName + "'");
      config.token = scalar(user, "token");
      if (auto file = scalar(user, "tokenFile"); !file.empty()) {
        config.token_file = joinPath(baseDir, file);
      }
      const std::string what = "user " + userName;
      if (auto st = pemField(user, "client-certificate", baseDir, what, config.client_cert_pem);
          !st) {
        return fail(st.error());
      }
      if (auto st = pemField(user, "client-key", baseDir, what, config.client_key_pem); !st) {
        return fail(st.error());
      }
      if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
        return configError(what + ": client-certificate and client-key must come together");
      }
      if (user["exec"] || user["auth-provider"]) {
        if (config.token.empty() && config.token_file.empty() && config.client_cert_pem.empty()) {
          return configError(what + ": exec and auth-provider credentials are not supported; " +
                             "use a token, tokenFile or client certificate");
        }
      }
    }
    return config;
  } catch (const std::exception& e) {
    return configError(std::string("kubeconfig: ") + e.what());
  }
}

Result<ClusterConfig> loadKubeconfig(const std::string& path, const std::string& context) {
  auto text = readSmallFile(path);
  if (!text) return configError("cannot read kubeconfig " + path + ": " + text.error().message);
  const auto slash = path.rfind('/');
  const std::string baseDir = slash == std::string::npos ? "." : path.substr(0, slash);
  auto config = parseKubeconfig(*text, baseDir, context);
  if (!config) return fail("ConfigError", path + ": " + config.error().message);
  return config;
}

Result<ClusterConfig> inClusterConfig(const std::map<std::string, std::string>& env,
                                      const std::string& saDir) {
  const auto host = env.find("KUBERNETES_SERVICE_HOST");
  const auto port = env.find("KUBERNETES_SERVICE_PORT");
  if (host == env.end() || port == env.end() || host->second.empty() || port->second.empty()) {
    return configError(
        "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); pass --kubeconfig");
  }
  ClusterConfig config;
  const bool ipv6 = host->second.find(':') != std::string::npos;
  const std::string url =
      "https://" + (ipv6 ? "[" + host->second + "]" : host->second) + ":" + port->second;
  if (auto st = parseServerUrl(url, config); !st) return fail(st.error());
  config.token_file = saDir + "/token";
  auto token = readSmallFile(config.token_file);
  if (!token) return configError("cannot read service-account token " + config.token_file);
  auto ca = readSmallFile(saDir + "/ca.crt");
  if (!ca) return configError("cannot read cluster CA " + saDir + "/ca.crt");
  config.ca_pem = std::move(ca).value();
  if (auto ns = readSmallFile(saDir + "/namespace"); ns && !ns->empty()) {
    std::string value = std::move(ns).value();
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    config.namespace_ = value;
  }
  return config;
}

std::map<std::string, std::string> kubernetesServiceEnv() {
  std::map<std::string, std::string> env;
  for (const char* key : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
    if (const char* value = std::getenv(key)) env[key] = value;
  }
  return env;
}

Result<std::string> base64Decode(const std::string& in) {
  auto decodeChar = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int value = decodeChar(c);
    if (value < 0 || padding) return configError("invalid base64");
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return configError("invalid base64 length");
  return out;
}

std::vector<InsecureTransport> insecureTransport(const ClusterConfig& config) {
  std::vector<InsecureTransport> out;
  const std::string server =
      config.scheme + "://" + config.host + ":" + std::to_string(config.port);
  if (config.insecure_skip_verify && config.scheme == "https") {
    out.push_back({"InsecureSkipTlsVerify",
                   "insecure-skip-tls-verify is set: the certificate of " + server +
                       " is not verified, so anyone on the path can read the token and answer "
                       "for the API server"});
  }
  if (config.scheme == "http" && (!config.token.empty() || !config.token_file.empty())) {
    out.push_back({"BearerTokenOverHttp", "the bearer token is sent in clear text to " + server +
                                              " (http://); use https://"});
  }
  return out;
}

}  // namespace keelson::kube
