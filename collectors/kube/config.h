// How to reach and authenticate to a Kubernetes API server: from a kubeconfig file (YAML:
// current-context, token / tokenFile or client certificate and key, certificate-authority or
// -data) or from inside a pod (the service-account token, the cluster CA under
// /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT).
//
// Parsing is pure (text in, ClusterConfig out); the load* functions only read files. Errors:
// "ConfigError" with a sentence naming the file and field. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::kube {

struct ClusterConfig {
  std::string scheme = "https";  // "https" (or "http" for tests of the pure layer)
  std::string host;              // host name or IP literal (no brackets), for SNI and verification
  std::uint16_t port = 443;
  std::string ca_pem;                  // trusted CA bundle, PEM; empty = system default paths
  bool insecure_skip_verify = false;   // kubeconfig's insecure-skip-tls-verify; never the default
  std::string token;                   // bearer token, when fixed
  std::string token_file;              // bearer token file, re-read when it changes (rotation)
  std::string client_cert_pem;         // client certificate chain, PEM
  std::string client_key_pem;          // its private key, PEM
  std::string namespace_ = "default";  // the context's namespace (or the pod's own namespace)
};

// A way `config` weakens transport security, accepted (kubeconfigs for test clusters use them)
// but never silently: `reason` is a stable token ("InsecureSkipTlsVerify": the API server's
// certificate is not verified; "BearerTokenOverHttp": a bearer token would be sent in clear
// text over http://), `message` a warning sentence naming the server.
struct InsecureTransport {
  std::string reason;
  std::string message;
};
std::vector<InsecureTransport> insecureTransport(const ClusterConfig& config);

// Splits "https://host:port" (IPv6 as [::1]) into the config's scheme/host/port.
Status parseServerUrl(const std::string& url, ClusterConfig& into);

// Parses kubeconfig YAML. `baseDir` resolves relative file paths (the kubeconfig's directory);
// `context` overrides current-context when non-empty. Files named by the kubeconfig
// (certificate-authority, client-certificate, client-key) are read here.
Result<ClusterConfig> parseKubeconfig(const std::string& yamlText, const std::string& baseDir,
                                      const std::string& context = "");

// Reads and parses the kubeconfig at `path`.
Result<ClusterConfig> loadKubeconfig(const std::string& path, const std::string& context = "");

// In-cluster configuration. `env` holds KUBERNETES_SERVICE_HOST/PORT; `saDir` is normally
// /var/run/secrets/kubernetes.io/serviceaccount (token, ca.crt, namespace).
Result<ClusterConfig> inClusterConfig(const std::map<std::string, std::string>& env,
                                      const std::string& saDir);

// The process environment's KUBERNETES_SERVICE_* variables, for inClusterConfig.
std::map<std::string, std::string> kubernetesServiceEnv();

// Standard base64 decode (kubeconfig *-data fields); "ConfigError" on bad input.
Result<std::string> base64Decode(const std::string& in);

}  // namespace keelson::kube
