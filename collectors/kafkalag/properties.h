// librdkafka client properties for the lag reader (security.protocol, sasl.*, ssl.*: TLS,
// SASL/PLAIN and SCRAM, OAUTHBEARER, any property librdkafka knows), from a properties file as
// Kafka's own clients write it: `key=value` lines, `#` and `!` comments, blank lines.
//
// Secrets never sit in the file: `<key>.file=<path>` sets <key> to the content of <path>
// (trimmed; a mounted Secret), and a secret key (isSecretProperty) given a plain value is refused.
// Values of secret keys appear in no message. `bootstrap.servers` comes from each policy and is
// refused here. Parsing is pure; resolveKafkaProperties reads the files.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::kafkalag {

struct Property {
  std::string key;
  std::string value;       // the value, or the file to read it from when fromFile
  bool from_file = false;  // written as `<key>.file=<path>`
  int line = 0;
};

// sasl.password, sasl.username, ssl.key.password, sasl.oauthbearer.client.secret,
// sasl.oauthbearer.config, ssl.key.pem, ssl.keystore.password.
bool isSecretProperty(std::string_view key);

// Errors: "ConfigError", "<where>:<line>: <sentence>".
Result<std::vector<Property>> parseKafkaProperties(const std::string& text,
                                                   const std::string& where);

// Key/value pairs to hand to librdkafka, with `.file` values read. Errors name the file only.
Result<std::vector<std::pair<std::string, std::string>>> resolveKafkaProperties(
    const std::vector<Property>& properties);

// Reads and parses a properties file and resolves it.
Result<std::vector<std::pair<std::string, std::string>>> loadKafkaProperties(
    const std::string& path);

}  // namespace keelson::kafkalag
