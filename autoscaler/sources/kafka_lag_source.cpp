// Keelson's KafkaLag metric type (KEDA's Kafka scaler): the body's options, and the source that
// asks the consumer group's offsets (collectors/kafkalag behind SourceContext::kafka); the lag
// arithmetic is the engine's (engine/kafka_lag.h).
#include <yaml-cpp/yaml.h>

#include "autoscaler/policy/policy.h"
#include "autoscaler/sources/registry.h"

namespace keelson::sources {
namespace {

using engine::MetricObservation;

class KafkaLagReader final : public MetricSource {
 public:
  explicit KafkaLagReader(SourceContext& context) : context_(context) {}
  MetricObservation read(const policy::Policy& policy, const policy::MetricSpec& metric,
                         const TargetPods&, engine::Time) override {
    if (!context_.kafka || !metric.kafka) {
      return MetricObservation::unavailable("KafkaLag reading is not configured");
    }
    if (!metric.connection.empty()) {
      if (auto refused = connectionRefusal(context_.connections, "kafka", metric.connection,
                                           policy.namespace_)) {
        return MetricObservation::unavailable(*refused);
      }
    }
    auto offsets = context_.kafka(*metric.kafka, metric.connection);
    if (!offsets) return MetricObservation::unavailable(offsets.error().message);
    return MetricObservation::kafkaPartitions(std::move(offsets).value());
  }

 private:
  SourceContext& context_;
};

void parseKafkaLag(policy::MetricBodyReader& r, const YAML::Node& body, const std::string& p,
                   std::size_t, policy::MetricSpec& m) {
  if (!r.fields(body, p,
                {"bootstrapServers", "consumerGroup", "topic", "lagThreshold",
                 "activationLagThreshold", "allowIdleConsumers", "limitToPartitionsWithLag",
                 "offsetResetPolicy", "scaleToZeroOnInvalidOffset", "connection"})) {
    return;
  }
  policy::KafkaLagSource k;
  k.bootstrap_servers = r.string(body, "bootstrapServers", p, true).value_or("");
  k.consumer_group = r.string(body, "consumerGroup", p, true).value_or("");
  k.topic = r.string(body, "topic", p, false).value_or("");
  if (auto v = r.integer(body, "lagThreshold", p, false, 1, 1'000'000'000'000)) {
    k.lag_threshold = *v;
  }
  if (auto v = r.integer(body, "activationLagThreshold", p, false, 0, 1'000'000'000'000)) {
    k.activation_lag_threshold = *v;
  }
  k.allow_idle_consumers = r.boolean(body, "allowIdleConsumers", p).value_or(false);
  k.limit_to_partitions_with_lag = r.boolean(body, "limitToPartitionsWithLag", p).value_or(false);
  k.offset_reset_policy =
      r.oneOf(body, "offsetResetPolicy", p, false, {"latest", "earliest"}).value_or("latest");
  k.scale_to_zero_on_invalid_offset =
      r.boolean(body, "scaleToZeroOnInvalidOffset", p).value_or(false);
  m.name = "kafka_lag";
  m.target.type = policy::TargetType::AverageValue;
  m.target.average_value_milli = k.lag_threshold * 1000;
  m.activation_milli = k.activation_lag_threshold * 1000;
  m.kafka = k;
  r.connection(body, p, m);
}

std::unique_ptr<MetricSource> create(SourceContext& context) {
  return std::make_unique<KafkaLagReader>(context);
}

}  // namespace

MetricSourceRegistration kafkaLagSource() {
  return {{&policy::builtin::kKafkaLag, parseKafkaLag, nullptr}, create};
}

}  // namespace keelson::sources
