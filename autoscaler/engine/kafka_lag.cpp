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
      if (source.offsetResetPolicy == "earliest") {
        partitionLag = p.highWatermark;
      } else {
        partitionLag = source.scaleToZeroOnInvalidOffset ? 0 : 1;
      }
    } else {
      partitionLag = p.highWatermark > p.committed ? p.highWatermark - p.committed : 0;
    }
    if (partitionLag > 0) ++lag.partitionsWithLag;
    lag.uncapped = addSat(lag.uncapped, partitionLag);
  }
  lag.total = lag.uncapped;
  if ((!source.allowIdleConsumers || source.limitToPartitionsWithLag) && source.lagThreshold > 0) {
    // More consumers than partitions would sit idle: cap the lag so the HPA arithmetic
    // (ceil(lag / lagThreshold)) never asks for more replicas than partitions.
    const std::int64_t bound =
        source.limitToPartitionsWithLag ? lag.partitionsWithLag : lag.partitions;
    if (lag.total / source.lagThreshold > bound) lag.total = mulSat(bound, source.lagThreshold);
  }
  return lag;
}

}  // namespace keelson::engine
