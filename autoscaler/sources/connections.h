// Named connections to metric backends, defined by the controller's operator and chosen by
// policies (`connection: NAME` in a Prometheus or KafkaLag metric): per-policy credentials without
// letting a policy author name a file the controller reads. KEDA's ClusterTriggerAuthentication
// is the model; here the operator also says which namespaces' policies may use each one.
//
// `keelson-autoscaler run --connections FILE`:
//   prometheus:
//     tenant-a:                                   # a DNS-1123 subdomain
//       namespaces: [team-a]                      # policies there may use it; absent = every one
//       config: prometheus-tenant-a.yaml          # the --prometheus-config format (url, TLS, auth,
//                                                 # headers: collectors/http/client_config.h)
//   kafka:
//     orders:
//       namespaces: [team-k, team-o]
//       config: kafka-orders.properties           # the --kafka-config format (librdkafka
//                                                 # properties, secrets as <key>.file=PATH)
// A relative `config` is relative to FILE's directory (one mounted ConfigMap holds them all).
// Unknown keys and duplicate names are errors naming FILE:LINE. The referenced files are read by
// the caller (loadClientConfig, loadKafkaProperties), each with its own file/line errors.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "collectors/common/result.h"

namespace keelson::sources {

struct Connection {
  std::string name;
  std::set<std::string> namespaces;  // empty: policies of every namespace may use it
  std::string config;                // the connection's file, resolved against the file's dir
  int line = 0;
};

struct Connections {
  std::map<std::string, Connection> prometheus;
  std::map<std::string, Connection> kafka;
};

// Errors: "ConfigError", "<where>:<line>: <field> <sentence>". `dir` resolves relative configs.
Result<Connections> parseConnections(const std::string& yamlText, const std::string& where,
                                     const std::string& dir);
Result<Connections> loadConnections(const std::string& path);

// Why a policy in namespace `ns` may not read through the `kind` ("prometheus" or "kafka")
// connection `name`; nullopt when it may. The sentence names the connection and the namespaces
// allowed, never the connection's files.
std::optional<std::string> connectionRefusal(const Connections* connections,
                                             const std::string& kind, const std::string& name,
                                             const std::string& ns);

}  // namespace keelson::sources
