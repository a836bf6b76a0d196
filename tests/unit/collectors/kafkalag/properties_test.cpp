#include "collectors/kafkalag/properties.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "collectors/kafkalag/lag_reader.h"

namespace keelson::kafkalag {
namespace {

TEST(KafkaProperties, Parses) {
  auto p = parseKafkaProperties(
      "# SASL/SCRAM over TLS\n"
      "security.protocol=SASL_SSL\n"
      "sasl.mechanisms = SCRAM-SHA-512\n"
      "sasl.username.file=/run/secrets/kafka/username\n"
      "sasl.password.file=/run/secrets/kafka/password\n"
      "! another comment\n\n"
      "ssl.ca.location=/run/secrets/kafka/ca.crt\n",
      "k.properties");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->size(), 5u);
  EXPECT_EQ((*p)[1].key, "sasl.mechanisms");
  EXPECT_EQ((*p)[1].value, "SCRAM-SHA-512");
  EXPECT_EQ((*p)[3].key, "sasl.password");
  EXPECT_TRUE((*p)[3].from_file);
  EXPECT_EQ((*p)[3].value, "/run/secrets/kafka/password");
}

TEST(KafkaProperties, Refuses) {
  struct Case {
    const char* name;
    const char* text;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"secret in clear", "sasl.password=hunter2\n",
       "k:1: sasl.password is a secret: write sasl.password.file=<path of a mounted Secret> "
       "instead of its value"},
      {"oauth secret", "\nsasl.oauthbearer.client.secret=hunter2\n",
       "k:2: sasl.oauthbearer.client.secret is a secret: write "
       "sasl.oauthbearer.client.secret.file=<path of a mounted Secret> instead of its value"},
      {"no equals", "security.protocol SSL\n", "k:1: expected key=value"},
      {"bootstrap", "bootstrap.servers=a:9092\n",
       "k:1: bootstrap.servers comes from each KafkaLag metric (bootstrapServers)"},
      {"duplicate", "a.b=1\na.b=2\n", "k:2: a.b is already set at line 1"},
      {"bad key", "a b=1\n", "k:1: \"a b\" is not a property name"},
      {"empty path", "sasl.password.file=\n", "k:1: sasl.password.file needs a path"},
  };
  for (const auto& c : cases) {
    auto got = parseKafkaProperties(c.text, "k");
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.error().message, c.want) << c.name;
    EXPECT_EQ(got.error().message.find("hunter2"), std::string::npos) << c.name;
  }
}

TEST(KafkaProperties, ResolvesFilesAndLibrdkafkaChecksNames) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("keelson-kafka-props-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "password") << "hunter2\n";
  std::ofstream(dir / "k.properties")
      << "security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=SCRAM-SHA-256\n"
      << "sasl.username=keelson\n"  // refused: a secret key
      << "";
  auto refused = loadKafkaProperties((dir / "k.properties").string());
  ASSERT_FALSE(refused.ok());
  std::ofstream(dir / "k.properties")
      << "security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=SCRAM-SHA-256\n"
      << "sasl.username.file=" << (dir / "password").string() << "\n"
      << "sasl.password.file=" << (dir / "password").string() << "\n";
  auto resolved = loadKafkaProperties((dir / "k.properties").string());
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->back(), (std::pair<std::string, std::string>{"sasl.password", "hunter2"}));
  // librdkafka accepts them (no broker is contacted at creation).
  EXPECT_TRUE(LagReader::create("127.0.0.1:1", *resolved).ok());
  // A property librdkafka does not know is named; a refused secret's value is not shown.
  auto unknown = LagReader::create("127.0.0.1:1", {{"no.such.property", "x"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("property no.such.property"), std::string::npos);
  auto missing = loadKafkaProperties((dir / "nope").string());
  ASSERT_FALSE(missing.ok());
  std::ofstream(dir / "k.properties") << "sasl.password.file=" << (dir / "gone").string() << "\n";
  auto gone = loadKafkaProperties((dir / "k.properties").string());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(
      gone.error().message.rfind("cannot read sasl.password.file " + (dir / "gone").string(), 0),
      0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keelson::kafkalag
