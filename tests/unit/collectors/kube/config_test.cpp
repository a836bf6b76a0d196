#include "collectors/kube/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace keelson::kube {
namespace {

TEST(ParseServerUrl, Table) {
  struct Case {
    std::string url;
    bool ok;
    std::string scheme, host;
    int port;
  };
  const Case cases[] = {
      {"https://127.0.0.1:6443", true, "https", "127.0.0.1", 6443},
      {"https://kube.example.com", true, "https", "kube.example.com", 443},
      {"http://localhost:8080/", true, "http", "localhost", 8080},
      {"https://[::1]:6443", true, "https", "::1", 6443},
      {"ftp://x", false, "", "", 0},
      {"127.0.0.1:6443", false, "", "", 0},
      {"https://host:99999", false, "", "", 0},
  };
  for (const auto& c : cases) {
    ClusterConfig config;
    const auto st = parseServerUrl(c.url, config);
    ASSERT_EQ(st.ok(), c.ok) << c.url;
    if (!c.ok) continue;
    EXPECT_EQ(config.scheme, c.scheme);
    EXPECT_EQ(config.host, c.host);
    EXPECT_EQ(config.port, c.port);
  }
}

TEST(Base64Decode, Table) {
  EXPECT_EQ(*base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64Decode("aGVs\nbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(*base64Decode(""), "");
  EXPECT_FALSE(base64Decode("a$==").ok());
}

TEST(ParseKubeconfig, TokenAndInlineCa) {
  const std::string yaml = R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: aGVsbG8=
contexts:
- name: admin
  context: {cluster: local, user: admin, namespace: shop}
- name: other
  context: {cluster: local, user: nobody}
users:
- name: admin
  user: {token: secret}
)";
  auto config = parseKubeconfig(yaml, "/tmp");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->port, 6443);
  EXPECT_EQ(config->ca_pem, "hello");
  EXPECT_EQ(config->token, "secret");
  EXPECT_EQ(config->namespace_, "shop");
  auto other = parseKubeconfig(yaml, "/tmp", "other");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("no user named 'nobody'"), std::string::npos);
  EXPECT_FALSE(parseKubeconfig(yaml, "/tmp", "missing").ok());
  EXPECT_FALSE(parseKubeconfig("[1, 2", "/tmp").ok());
  EXPECT_FALSE(parseKubeconfig("a: b", "/tmp").ok());
}

TEST(ParseKubeconfig, FilesRelativeToTheKubeconfig) {
  const auto dir = std::filesystem::temp_directory_path() / "keelson_kubeconfig_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ca.crt") << "CA";
  std::ofstream(dir / "client.crt") << "CERT";
  std::ofstream(dir / "client.key") << "KEY";
  const std::string yaml = R"(current-context: c
clusters: [{name: k, cluster: {server: "https://kube:6443", certificate-authority: ca.crt}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {client-certificate: client.crt, client-key: client.key, tokenFile: tok}}]
)";
  auto config = parseKubeconfig(yaml, dir.string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->ca_pem, "CA");
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_EQ(config->token_file, (dir / "tok").string());
  EXPECT_EQ(config->namespace_, "default");
  std::filesystem::remove(dir / "ca.crt");
  auto missing = parseKubeconfig(yaml, dir.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("certificate-authority"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(InClusterConfig, ReadsServiceAccountDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / "keelson_sa_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "tok\n";
  std::ofstream(dir / "ca.crt") << "CA";
  std::ofstream(dir / "namespace") << "ops";
  auto config = inClusterConfig(
      {{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}, dir.string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->host, "10.0.0.1");
  EXPECT_EQ(config->port, 443);
  EXPECT_EQ(config->token_file, (dir / "token").string());
  EXPECT_EQ(config->ca_pem, "CA");
  EXPECT_EQ(config->namespace_, "ops");
  auto v6 = inClusterConfig(
      {{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}, dir.string());
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "fd00::1");
  EXPECT_FALSE(inClusterConfig({}, dir.string()).ok());
  std::filesystem::remove_all(dir);
}

// Issue 14 item 11: weakened transports are reported, never silently accepted.
TEST(KubeConfig, InsecureTransportIsReported) {
  ClusterConfig c;
  c.host = "10.0.0.1";
  c.port = 6443;
  EXPECT_TRUE(insecureTransport(c).empty());
  c.insecure_skip_verify = true;
  auto found = insecureTransport(c);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].reason, "InsecureSkipTlsVerify");
  EXPECT_NE(found[0].message.find("https://10.0.0.1:6443"), std::string::npos);
  c = {};
  c.scheme = "http";
  c.host = "127.0.0.1";
  c.port = 8080;
  EXPECT_TRUE(insecureTransport(c).empty());  // no token: nothing secret in clear text
  c.token_file = "/var/run/secrets/token";
  found = insecureTransport(c);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].reason, "BearerTokenOverHttp");
  c.token_file.clear();
  c.token = "s3cret-token";
  found = insecureTransport(c);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message.find("s3cret"), std::string::npos);  // never the token itself
}

TEST(KubeConfig, KubeconfigWithInsecureSkipTlsVerifyIsFlagged) {
  auto c = parseKubeconfig(R"(apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
)",
                           "/tmp");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto found = insecureTransport(*c);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].reason, "InsecureSkipTlsVerify");
}

}  // namespace
}  // namespace keelson::kube
