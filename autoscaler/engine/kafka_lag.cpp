#include "autoscaler/engine/kafka_lag.h"

#include "autoscaler/engine/saturate.h"

namespace keelson::engine {

KafkaLag computeKafkaLag(const policy::KafkaLagSource& source,
                         const std::vector<PartitionOffsets>& partitions) {
  KafkaLag lag;
  for (const auto& p : partitions) {
    if (!source.topic.empty() && p.topic != source.topic) continue;
    ++lag.partitions;
    std::int64_t partitionLag = 0;
    if (p.committed < 0) {
      // No committed offset: where the group would start decides what is owed.
      if (source.offset_reset_policy == "earliest") {
        partitionLag = p.high_watermark;
      } else {
        partitionLag = source.scale_to_zero_on_invalid_offset ? 0 : 1;
      }
    } else {
      partitionLag = p.high_watermark > p.committed ? p.high_watermark - p.committed : 0;
    }
    if (partitionLag > 0) ++lag.partitions_with_lag;
    lag.uncapped = addSat(lag.uncapped, partitionLag);
  }
  lag.total = lag.uncapped;
  if ((!source.allow_idle_consumers || source.limit_to_partitions_with_lag) &&
      source.lag_threshold > 0) {
    // More consumers than partitions would sit idle: cap the lag so the HPA arithmetic
    // (ceil(lag / lagThreshold)) never asks for more replicas than partitions.
    const std::int64_t bound =
        source.limit_to_partitions_with_lag ? lag.partitions_with_lag : lag.partitions;
    if (lag.total / source.lag_threshold > bound) lag.total = mulSat(bound, source.lag_threshold);
  }
  return lag;
}

}  // namespace keelson::engine
