// Transport downgrades the agent accepts but never silently (issue 14, item 11), the agent's half
// of what kube::insecureTransport does for the autoscaler: the pod-metadata client's kubeconfig
// (insecure-skip-tls-verify, a bearer token over http://) and the Kafka sink's librdkafka
// properties. Each is one warning line at start-up and keelson_agent_insecure_transport{reason} 1.
#pragma once

#include <prometheus/collectable.h>

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "collectors/kube/config.h"

namespace keelson::agent {

// The Kafka sink's downgrades, from its librdkafka properties (names and values as configured;
// compared case-insensitively, as librdkafka does):
//  - "SaslCredentialsOverPlaintext": security.protocol sasl_plaintext with sasl.mechanism(s)
//    PLAIN or OAUTHBEARER, which put the password or token on the wire in clear text (SCRAM and
//    GSSAPI do not);
//  - "KafkaTlsVerifyDisabled": enable.ssl.certificate.verification false with an ssl protocol.
// Pure; `brokers` only names the destination in the message. Values are never quoted.
std::vector<kube::InsecureTransport> kafkaInsecureTransport(
    const std::map<std::string, std::string>& properties, const std::string& brokers);

// Writes "keelson-agent: warning: REASON: message" once per entry to `err` and returns a
// collectable with keelson_agent_insecure_transport{reason} = 1 per reason (0 series when none).
std::shared_ptr<prometheus::Collectable> reportInsecureTransport(
    const std::vector<kube::InsecureTransport>& found, std::ostream& err);

}  // namespace keelson::agent
