// How an HTTP client reaches and authenticates to a server (Prometheus, Mimir, Thanos): its URL,
// TLS (custom CA, client certificate), a bearer token or basic auth, and extra headers
// (X-Scope-OrgID for multi-tenant backends). The shared layer under the Prometheus client (and
// any later HTTP client): TLS, auth, headers and timeouts in one place.
//
// Secrets are file paths (mounted Secrets), never values in configuration text: TLS material is
// read when the transport is made; the token and the password are re-read before every request
// (a few bytes), so a rotated Secret is picked up. No message, error or description ever holds a
// secret's content, only its file's path.
//
// Parsing and validation are pure (tested by tables); makeClientTransport reads files.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/http/transport.h"

namespace keelson::http {

struct ClientConfig {
  std::string url;                       // http[s]://host[:port][/prefix]
  std::string bearer_token_file;         // Authorization: Bearer <the file's content, trimmed>
  std::string basic_auth_username;       // with basicAuthPasswordFile: Authorization: Basic ...
  std::string basic_auth_password_file;  //
  std::string ca_file;                   // PEM bundle; empty = the system's trust store
  std::string cert_file;                 // client certificate chain (PEM), with keyFile
  std::string key_file;
  bool insecure_skip_verify = false;  // never the default; reported by insecureReasons()
  std::vector<std::pair<std::string, std::string>> headers;  // not secret (X-Scope-OrgID)
  std::chrono::milliseconds timeout{10000};
};

// The YAML form (one mapping; unknown keys are errors):
//   url: https://mimir.example/prometheus
//   bearerTokenFile: /var/run/secrets/prometheus/token
//   basicAuth: {username: keelson, passwordFile: /var/run/secrets/prometheus/password}
//   tls: {caFile: ..., certFile: ..., keyFile: ..., insecureSkipVerify: false}
//   headers: {X-Scope-OrgID: tenant-a}
//   timeoutSeconds: 10
// Errors: "ConfigError", "<where>:<line>: <field> <sentence>".
Result<ClientConfig> parseClientConfig(const std::string& yamlText, const std::string& where);
Result<ClientConfig> loadClientConfig(const std::string& path);

// The combination rules (parseClientConfig applies them too): a valid http/https url; bearer
// token and basic auth not both; basic auth needs both username and passwordFile; certFile and
// keyFile together; header names are HTTP tokens, not Authorization or Host (credentials come
// from files), values without control characters; TLS options only with https.
Status validateClientConfig(const ClientConfig& config);

// Stable tokens for the ways `config` weakens security, for one warning each at start-up:
// "InsecureSkipTlsVerify", "CredentialsOverHttp".
std::vector<std::string> insecureReasons(const ClientConfig& config);

// "https://mimir:443/prometheus, bearer token from /run/secrets/token, CA /etc/ca.pem, 1 header":
// for logs; names files, never their content.
std::string describe(const ClientConfig& config);

// The headers every request gets: the configured ones plus Authorization from the credential
// files, read now. Errors ("ConfigError") name the file, not its content.
Result<std::vector<std::pair<std::string, std::string>>> requestHeaders(const ClientConfig& config);

// A transport for `config` (TLS material read now) that adds requestHeaders() to every request;
// a credential file that cannot be read fails that request with "ConfigError".
// body_limit: the largest response body accepted (TransportConfig::body_limit).
Result<std::unique_ptr<HttpTransport>> makeClientTransport(const ClientConfig& config,
                                                           std::uint64_t bodyLimit = 64 * 1024 *
                                                                                     1024);

// The same decoration over any transport (for tests with a scripted one).
std::unique_ptr<HttpTransport> withClientHeaders(std::unique_ptr<HttpTransport> inner,
                                                 ClientConfig config);

std::string base64Encode(std::string_view in);

}  // namespace keelson::http
