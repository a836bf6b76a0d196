// Consumer-group lag with KEDA's Kafka scaler semantics, pure.
#pragma once

#include <cstdint>
#include <vector>

#include "autoscaler/engine/observations.h"
#include "autoscaler/policy/policy.h"

namespace keelson::engine {

struct KafkaLag {
  std::int64_t total = 0;     // what the metric reports (capped unless allowIdleConsumers)
  std::int64_t uncapped = 0;  // the plain sum, used for activation as KEDA does
  std::int32_t partitions = 0;
  std::int32_t partitions_with_lag = 0;
};

// Per partition: lag = highWatermark - committed (never negative). Without a committed offset:
// offsetResetPolicy "latest" -> 1 (0 with scaleToZeroOnInvalidOffset), "earliest" -> the high
// watermark. Unless allowIdleConsumers, the total is capped at partitions x lagThreshold (or
// partitionsWithLag x lagThreshold with limitToPartitionsWithLag) so the target never gets more
// replicas than there are partitions to consume. Offsets are plain counts (not milli).
KafkaLag computeKafkaLag(const policy::KafkaLagSource& source,
                         const std::vector<PartitionOffsets>& partitions);

}  // namespace keelson::engine
