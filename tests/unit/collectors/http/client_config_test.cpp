#include "collectors/http/client_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace keelson::http {
namespace {

TEST(ParseClientConfig, Accepts) {
  auto c = parseClientConfig(
      "url: https://mimir.example/prometheus\n"
      "bearerTokenFile: /run/secrets/token\n"
      "tls: {caFile: /etc/ca.pem, certFile: /etc/c.pem, keyFile: /etc/k.pem}\n"
      "headers: {X-Scope-OrgID: tenant-a}\n"
      "timeoutSeconds: 3\n",
      "prom.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->url, "https://mimir.example/prometheus");
  EXPECT_EQ(c->bearer_token_file, "/run/secrets/token");
  EXPECT_EQ(c->ca_file, "/etc/ca.pem");
  EXPECT_EQ(c->cert_file, "/etc/c.pem");
  EXPECT_EQ(c->key_file, "/etc/k.pem");
  ASSERT_EQ(c->headers.size(), 1u);
  EXPECT_EQ(c->headers[0].first, "X-Scope-OrgID");
  EXPECT_EQ(c->timeout, std::chrono::seconds(3));
  EXPECT_EQ(describe(*c),
            "https://mimir.example/prometheus, bearer token from /run/secrets/token, CA "
            "/etc/ca.pem, client certificate /etc/c.pem, headers X-Scope-OrgID");
  EXPECT_TRUE(insecureReasons(*c).empty());
}

TEST(ParseClientConfig, Refuses) {
  struct Case {
    const char* name;
    const char* yaml;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"no url", "bearerTokenFile: /t\n", "p.yaml: url is required"},
      {"bad url", "url: prom:9090\n", "p.yaml: url: URL 'prom:9090' has no scheme"},
      {"unknown key", "url: http://p\nbearerToken: abc\n",
       "p.yaml:2: unknown field \"bearerToken\"; expected one of: url, bearerTokenFile, "
       "basicAuth, tls, headers, timeoutSeconds"},
      {"password in text", "url: http://p\nbasicAuth: {username: u, password: hunter2}\n",
       "p.yaml:2: basicAuth.password is not accepted: put the password in a file (a mounted "
       "Secret) and name it in basicAuth.passwordFile"},
      {"both auths",
       "url: https://p\nbearerTokenFile: /t\nbasicAuth: {username: u, passwordFile: /p}\n",
       "p.yaml: bearerTokenFile and basicAuth exclude each other"},
      {"user without password", "url: https://p\nbasicAuth: {username: u}\n",
       "p.yaml: basicAuth needs both username and passwordFile"},
      {"cert without key", "url: https://p\ntls: {certFile: /c}\n",
       "p.yaml: tls.certFile and tls.keyFile go together"},
      {"tls over http", "url: http://p\ntls: {caFile: /ca}\n",
       "p.yaml: tls options need an https url"},
      {"authorization header", "url: https://p\nheaders: {authorization: Bearer x}\n",
       "p.yaml: headers: authorization cannot be set here; credentials come from bearerTokenFile "
       "or basicAuth.passwordFile"},
      {"bad header name", "url: https://p\nheaders: {\"X Bad\": v}\n",
       "p.yaml: headers: \"X Bad\" is not a valid header name"},
      {"header CRLF", "url: https://p\nheaders: {X-A: \"v\\r\\nX-B: w\"}\n",
       "p.yaml: headers: the value of X-A holds a control character"},
      {"bad skip", "url: https://p\ntls: {insecureSkipVerify: yes}\n",
       "p.yaml:2: tls.insecureSkipVerify must be true or false"},
      {"timeout", "url: https://p\ntimeoutSeconds: 0\n",
       "p.yaml:2: timeoutSeconds must be an integer between 1 and 3600"},
  };
  for (const auto& c : cases) {
    auto got = parseClientConfig(c.yaml, "p.yaml");
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.error().message, c.want) << c.name;
    EXPECT_EQ(got.error().message.find("hunter2"), std::string::npos) << c.name;
  }
}

TEST(ClientConfig, InsecureReasons) {
  ClientConfig c;
  c.url = "http://p";
  c.bearer_token_file = "/t";
  EXPECT_EQ(insecureReasons(c), std::vector<std::string>{"CredentialsOverHttp"});
  c.url = "https://p";
  c.insecure_skip_verify = true;
  EXPECT_EQ(insecureReasons(c), std::vector<std::string>{"InsecureSkipTlsVerify"});
}

TEST(Base64, Encode) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("keelson:right-password"), "a2VlbHNvbjpyaWdodC1wYXNzd29yZA==");
}

class Recording final : public HttpTransport {
 public:
  std::vector<HttpRequest> seen;
  Result<HttpResponse> send(const HttpRequest& request) override {
    seen.push_back(request);
    return HttpResponse{200, "{}"};
  }
};

std::string header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<none>";
}

TEST(ClientHeaders, CredentialsFromFilesEveryRequest) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("keelson-client-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string token = (dir / "token").string();
  std::ofstream(token) << "tok-1\n";
  ClientConfig c;
  c.url = "https://p";
  c.bearer_token_file = token;
  c.headers = {{"X-Scope-OrgID", "tenant-a"}};
  auto recording = std::make_unique<Recording>();
  Recording* seen = recording.get();
  auto transport = withClientHeaders(std::move(recording), c);
  ASSERT_TRUE(transport->send({"GET", "/api/v1/query", {}, "", {}}).ok());
  std::ofstream(token) << "tok-2\n";  // a rotated Secret
  ASSERT_TRUE(transport->send({"GET", "/api/v1/query", {}, "", {}}).ok());
  ASSERT_EQ(seen->seen.size(), 2u);
  EXPECT_EQ(header(seen->seen[0], "Authorization"), "Bearer tok-1");
  EXPECT_EQ(header(seen->seen[1], "Authorization"), "Bearer tok-2");
  EXPECT_EQ(header(seen->seen[1], "X-Scope-OrgID"), "tenant-a");

  ClientConfig basic;
  basic.url = "https://p";
  basic.basic_auth_username = "keelson";
  basic.basic_auth_password_file = (dir / "password").string();
  std::ofstream(basic.basic_auth_password_file) << "right-password";
  auto headers = requestHeaders(basic);
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(headers->back().second, "Basic a2VlbHNvbjpyaWdodC1wYXNzd29yZA==");

  std::filesystem::remove(basic.basic_auth_password_file);
  auto missing =
      withClientHeaders(std::make_unique<Recording>(), basic)->send({"GET", "/", {}, "", {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "ConfigError");
  EXPECT_EQ(missing.error().message.rfind(
                "cannot read basicAuth.passwordFile " + basic.basic_auth_password_file + ": ", 0),
            0u)
      << missing.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keelson::http
