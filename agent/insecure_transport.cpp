#include "agent/insecure_transport.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cctype>

namespace keelson::agent {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string property(const std::map<std::string, std::string>& properties,
                     const std::string& name) {
  const auto it = properties.find(name);
  return it == properties.end() ? "" : lower(it->second);
}

}  // namespace

std::vector<kube::InsecureTransport> kafkaInsecureTransport(
    const std::map<std::string, std::string>& properties, const std::string& brokers) {
  std::vector<kube::InsecureTransport> out;
  const std::string protocol = property(properties, "security.protocol");
  std::string mechanism = property(properties, "sasl.mechanisms");
  if (mechanism.empty()) mechanism = property(properties, "sasl.mechanism");
  if (protocol == "sasl_plaintext" && (mechanism == "plain" || mechanism == "oauthbearer")) {
    out.push_back({"SaslCredentialsOverPlaintext",
                   "the Kafka sink sends its SASL " + mechanism + " credentials in clear text to " +
                       brokers + " (security.protocol sasl_plaintext); use sasl_ssl"});
  }
  const std::string verify = property(properties, "enable.ssl.certificate.verification");
  if ((protocol == "ssl" || protocol == "sasl_ssl") && (verify == "false" || verify == "0")) {
    out.push_back({"KafkaTlsVerifyDisabled", "the Kafka sink does not verify the certificates of " +
                                                 brokers +
                                                 " (enable.ssl.certificate.verification false)"});
  }
  return out;
}

std::shared_ptr<prometheus::Collectable> reportInsecureTransport(
    const std::vector<kube::InsecureTransport>& found, std::ostream& err) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildGauge()
                     .Name("keelson_agent_insecure_transport")
                     .Help(
                         "1 for each way the agent's connections are weakened by its "
                         "configuration (reason: InsecureSkipTlsVerify, BearerTokenOverHttp, "
                         "SaslCredentialsOverPlaintext, KafkaTlsVerifyDisabled)")
                     .Register(*registry);
  for (const auto& entry : found) {
    err << "keelson-agent: warning: " << entry.reason << ": " << entry.message << "\n";
    family.Add({{"reason", entry.reason}}).Set(1);
  }
  return registry;
}

}  // namespace keelson::agent
