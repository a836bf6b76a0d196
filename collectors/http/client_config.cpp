#include "collectors/http/client_config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "collectors/common/file.h"
#include "collectors/common/yaml.h"
#include "collectors/http/url.h"

namespace keelson::http {
namespace {

bool isToken(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) &&
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool equalsIgnoreCase(const std::string& a, const char* b) {
  const std::string_view bv(b);
  if (a.size() != bv.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(bv[i]))) {
      return false;
    }
  }
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
    ++i;
  return s.substr(i);
}

// A credential file's content, or an error naming the file (never the content).
Result<std::string> secretFile(const std::string& path, const char* what) {
  auto text = readSmallFile(path, 64 * 1024);
  if (!text)
    return fail("ConfigError",
                std::string("cannot read ") + what + " " + path + ": " + text.error().reason);
  std::string value = trimmed(std::move(text).value());
  if (value.empty()) return fail("ConfigError", std::string(what) + " " + path + " is empty");
  for (unsigned char c : value) {
    if (std::iscntrl(c)) {
      return fail("ConfigError",
                  std::string(what) + " " + path + " holds a control character (one line only)");
    }
  }
  return value;
}

class Parser {
 public:
  explicit Parser(const std::string& where) : where_(where) {}
  std::string error;

  void fail(const YAML::Node& at, const std::string& message) {
    if (!error.empty()) return;
    error = where_;
    if (at.IsDefined() && at.Mark().line >= 0) error += ":" + std::to_string(at.Mark().line + 1);
    error += ": " + message;
  }

  bool keys(const YAML::Node& node, const std::string& path,
            const std::vector<const char*>& allowed) {
    if (!node.IsMap()) {
      fail(node, path + " must be a mapping");
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>("");
      bool known = false;
      for (const char* a : allowed)
        known = known || key == a;
      if (!known) {
        std::string list;
        for (const char* a : allowed)
          list += std::string(list.empty() ? "" : ", ") + a;
        fail(it->first, (path.empty() ? "" : path + ": ") + "unknown field \"" + key +
                            "\"; expected one of: " + list);
        return false;
      }
    }
    return true;
  }

  std::string str(const YAML::Node& parent, const char* key, const std::string& path) {
    const YAML::Node n = parent[key];
    if (!n.IsDefined() || n.IsNull()) return "";
    if (!n.IsScalar()) {
      fail(n, path + key + " must be a string");
      return "";
    }
    return n.Scalar();
  }

 private:
  const std::string& where_;
};

}  // namespace

std::string base64Encode(std::string_view in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {table[v >> 18], table[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
  }
  return out;
}

Status validateClientConfig(const ClientConfig& c) {
  if (c.url.empty()) return fail("ConfigError", "url is required");
  auto url = parseUrl(c.url);
  if (!url) return fail("ConfigError", "url: " + url.error().message);
  if (!c.bearer_token_file.empty() &&
      (!c.basic_auth_username.empty() || !c.basic_auth_password_file.empty())) {
    return fail("ConfigError", "bearerTokenFile and basicAuth exclude each other");
  }
  if (c.basic_auth_username.empty() != c.basic_auth_password_file.empty()) {
    return fail("ConfigError", "basicAuth needs both username and passwordFile");
  }
  for (unsigned char ch : c.basic_auth_username) {
    if (std::iscntrl(ch) || ch == ':') {
      return fail("ConfigError", "basicAuth.username must not hold ':' or control characters");
    }
  }
  if (c.cert_file.empty() != c.key_file.empty()) {
    return fail("ConfigError", "tls.certFile and tls.keyFile go together");
  }
  if (url->scheme != "https" &&
      (!c.ca_file.empty() || !c.cert_file.empty() || c.insecure_skip_verify)) {
    return fail("ConfigError", "tls options need an https url");
  }
  for (const auto& [name, value] : c.headers) {
    if (!isToken(name)) {
      return fail("ConfigError", "headers: \"" + name + "\" is not a valid header name");
    }
    if (equalsIgnoreCase(name, "Authorization") || equalsIgnoreCase(name, "Host")) {
      return fail("ConfigError", "headers: " + name +
                                     " cannot be set here; credentials come from "
                                     "bearerTokenFile or basicAuth.passwordFile");
    }
    for (unsigned char ch : value) {
      if (std::iscntrl(ch)) {
        return fail("ConfigError", "headers: the value of " + name + " holds a control character");
      }
    }
  }
  if (c.timeout.count() <= 0) return fail("ConfigError", "timeoutSeconds must be > 0");
  return {};
}

Result<ClientConfig> parseClientConfig(const std::string& yamlText, const std::string& where) {
  auto loaded = yaml::loadFirst(yamlText);
  if (!loaded.ok()) return fail("ConfigError", loaded.problem->format(where));
  const YAML::Node root = loaded.documents.empty() ? YAML::Node() : loaded.documents[0];
  ClientConfig c;
  Parser p(where);
  try {
    if (p.keys(root, "",
               {"url", "bearerTokenFile", "basicAuth", "tls", "headers", "timeoutSeconds"})) {
      c.url = p.str(root, "url", "");
      c.bearer_token_file = p.str(root, "bearerTokenFile", "");
      if (const YAML::Node b = root["basicAuth"]; b.IsDefined() && !b.IsNull()) {
        if (b["password"].IsDefined()) {
          p.fail(b["password"],
                 "basicAuth.password is not accepted: put the password in a file (a mounted "
                 "Secret) and name it in basicAuth.passwordFile");
        } else if (p.keys(b, "basicAuth", {"username", "passwordFile"})) {
          c.basic_auth_username = p.str(b, "username", "basicAuth.");
          c.basic_auth_password_file = p.str(b, "passwordFile", "basicAuth.");
        }
      }
      if (const YAML::Node t = root["tls"]; t.IsDefined() && !t.IsNull()) {
        if (p.keys(t, "tls", {"caFile", "certFile", "keyFile", "insecureSkipVerify"})) {
          c.ca_file = p.str(t, "caFile", "tls.");
          c.cert_file = p.str(t, "certFile", "tls.");
          c.key_file = p.str(t, "keyFile", "tls.");
          const std::string skip = p.str(t, "insecureSkipVerify", "tls.");
          if (!skip.empty() && skip != "true" && skip != "false") {
            p.fail(t["insecureSkipVerify"], "tls.insecureSkipVerify must be true or false");
          }
          c.insecure_skip_verify = skip == "true";
        }
      }
      if (const YAML::Node h = root["headers"]; h.IsDefined() && !h.IsNull()) {
        if (!h.IsMap()) {
          p.fail(h, "headers must be a mapping of name: value");
        } else {
          for (auto it = h.begin(); it != h.end(); ++it) {
            if (!it->second.IsScalar()) {
              p.fail(it->second, "headers: the value of " + it->first.as<std::string>("") +
                                     " must be a string");
              break;
            }
            c.headers.emplace_back(it->first.as<std::string>(""), it->second.Scalar());
          }
        }
      }
      if (const YAML::Node t = root["timeoutSeconds"]; t.IsDefined()) {
        const long long s = t.as<long long>(-1);
        if (s <= 0 || s > 3600) {
          p.fail(t, "timeoutSeconds must be an integer between 1 and 3600");
        }
        c.timeout = std::chrono::seconds(s);
      }
    }
  } catch (const std::exception& e) {
    p.fail(root, std::string("cannot read: ") + e.what());
  }
  if (!p.error.empty()) return fail("ConfigError", p.error);
  if (auto st = validateClientConfig(c); !st) {
    return fail("ConfigError", where + ": " + st.error().message);
  }
  return c;
}

Result<ClientConfig> loadClientConfig(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return fail("ConfigError", "cannot read " + path + ": " + text.error().reason);
  return parseClientConfig(*text, path);
}

std::vector<std::string> insecureReasons(const ClientConfig& c) {
  std::vector<std::string> out;
  if (c.insecure_skip_verify) out.push_back("InsecureSkipTlsVerify");
  const bool credentials = !c.bearer_token_file.empty() || !c.basic_auth_password_file.empty();
  if (credentials && c.url.rfind("http://", 0) == 0) out.push_back("CredentialsOverHttp");
  return out;
}

std::string describe(const ClientConfig& c) {
  std::string out = c.url;
  if (!c.bearer_token_file.empty()) out += ", bearer token from " + c.bearer_token_file;
  if (!c.basic_auth_username.empty()) {
    out += ", basic auth as " + c.basic_auth_username + " (password from " +
           c.basic_auth_password_file + ")";
  }
  if (!c.ca_file.empty()) out += ", CA " + c.ca_file;
  if (!c.cert_file.empty()) out += ", client certificate " + c.cert_file;
  if (c.insecure_skip_verify) out += ", TLS verification OFF";
  if (!c.headers.empty()) {
    out += ", headers";
    for (const auto& [name, value] : c.headers)
      out += " " + name;
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> requestHeaders(const ClientConfig& c) {
  auto headers = c.headers;
  if (!c.bearer_token_file.empty()) {
    auto token = secretFile(c.bearer_token_file, "bearerTokenFile");
    if (!token) return fail(token.error());
    headers.emplace_back("Authorization", "Bearer " + *token);
  } else if (!c.basic_auth_password_file.empty()) {
    auto password = secretFile(c.basic_auth_password_file, "basicAuth.passwordFile");
    if (!password) return fail(password.error());
    headers.emplace_back("Authorization",
                         "Basic " + base64Encode(c.basic_auth_username + ":" + *password));
  }
  return headers;
}

namespace {

class HeaderTransport final : public HttpTransport {
 public:
  HeaderTransport(std::unique_ptr<HttpTransport> inner, ClientConfig config)
      : inner_(std::move(inner)), config_(std::move(config)) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    auto headers = requestHeaders(config_);
    if (!headers) return fail(headers.error());
    HttpRequest decorated = request;
    decorated.headers.insert(decorated.headers.end(), headers->begin(), headers->end());
    return inner_->send(decorated);
  }
  void cancel() override { inner_->cancel(); }

 private:
  std::unique_ptr<HttpTransport> inner_;
  ClientConfig config_;
};

}  // namespace

std::unique_ptr<HttpTransport> withClientHeaders(std::unique_ptr<HttpTransport> inner,
                                                 ClientConfig config) {
  return std::make_unique<HeaderTransport>(std::move(inner), std::move(config));
}

Result<std::unique_ptr<HttpTransport>> makeClientTransport(const ClientConfig& c,
                                                           std::uint64_t bodyLimit) {
  if (auto st = validateClientConfig(c); !st) return fail(st.error());
  auto url = parseUrl(c.url);
  TransportConfig tc;
  tc.scheme = url->scheme;
  tc.host = url->host;
  tc.port = url->port;
  tc.insecure_skip_verify = c.insecure_skip_verify;
  tc.timeout = c.timeout;
  tc.body_limit = bodyLimit;
  auto read = [](const std::string& path, const char* what, std::string& into) -> Status {
    if (path.empty()) return {};
    auto text = readSmallFile(path);
    if (!text) {
      return fail("ConfigError",
                  std::string("cannot read ") + what + " " + path + ": " + text.error().reason);
    }
    into = std::move(text).value();
    return {};
  };
  if (auto st = read(c.ca_file, "tls.caFile", tc.ca_pem); !st) return fail(st.error());
  if (auto st = read(c.cert_file, "tls.certFile", tc.client_cert_pem); !st) return fail(st.error());
  if (auto st = read(c.key_file, "tls.keyFile", tc.client_key_pem); !st) return fail(st.error());
  auto transport = makeBeastTransport(tc);
  if (!transport) return fail(transport.error());
  return withClientHeaders(std::move(transport).value(), c);
}

}  // namespace keelson::http
