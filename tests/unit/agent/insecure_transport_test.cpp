#include "agent/insecure_transport.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace keelson::agent {
namespace {

// Before: the agent accepted all of these without a word (issue 14, item 11).
TEST(KafkaInsecureTransport, NamesEachDowngradeWithoutValues) {
  const struct {
    const char* name;
    std::map<std::string, std::string> properties;
    std::vector<std::string> reasons;
  } cases[] = {
      {"nothing configured", {}, {}},
      {"sasl plain over plaintext",
       {{"security.protocol", "SASL_PLAINTEXT"},
        {"sasl.mechanisms", "PLAIN"},
        {"sasl.password", "hunter2"}},
       {"SaslCredentialsOverPlaintext"}},
      {"the singular alias",
       {{"security.protocol", "sasl_plaintext"}, {"sasl.mechanism", "OAUTHBEARER"}},
       {"SaslCredentialsOverPlaintext"}},
      {"scram sends no password",
       {{"security.protocol", "sasl_plaintext"}, {"sasl.mechanisms", "SCRAM-SHA-512"}},
       {}},
      {"gssapi (the default mechanism)", {{"security.protocol", "sasl_plaintext"}}, {}},
      {"plain over tls", {{"security.protocol", "sasl_ssl"}, {"sasl.mechanisms", "PLAIN"}}, {}},
      {"tls without verification",
       {{"security.protocol", "ssl"}, {"enable.ssl.certificate.verification", "false"}},
       {"KafkaTlsVerifyDisabled"}},
      {"both",
       {{"security.protocol", "sasl_ssl"},
        {"sasl.mechanisms", "PLAIN"},
        {"enable.ssl.certificate.verification", "0"}},
       {"KafkaTlsVerifyDisabled"}},
  };
  for (const auto& c : cases) {
    const auto found = kafkaInsecureTransport(c.properties, "kafka-0:9092");
    std::vector<std::string> reasons;
    for (const auto& f : found) {
      reasons.push_back(f.reason);
      EXPECT_NE(f.message.find("kafka-0:9092"), std::string::npos) << c.name;
      EXPECT_EQ(f.message.find("hunter2"), std::string::npos) << c.name;
    }
    EXPECT_EQ(reasons, c.reasons) << c.name;
  }
}

TEST(ReportInsecureTransport, WarnsOnceEachAndExportsAGauge) {
  std::ostringstream err;
  auto collectable =
      reportInsecureTransport({{"InsecureSkipTlsVerify", "the API server's certificate ..."},
                               {"SaslCredentialsOverPlaintext", "the Kafka sink ..."}},
                              err);
  EXPECT_EQ(err.str(),
            "keelson-agent: warning: InsecureSkipTlsVerify: the API server's certificate ...\n"
            "keelson-agent: warning: SaslCredentialsOverPlaintext: the Kafka sink ...\n");
  const auto text = prometheus::TextSerializer().Serialize(collectable->Collect());
  EXPECT_NE(text.find("keelson_agent_insecure_transport{reason=\"InsecureSkipTlsVerify\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("keelson_agent_insecure_transport{reason=\"SaslCredentialsOverPlaintext\"} 1"),
      std::string::npos)
      << text;
  std::ostringstream quiet;
  reportInsecureTransport({}, quiet);
  EXPECT_EQ(quiet.str(), "");
}

}  // namespace
}  // namespace keelson::agent
