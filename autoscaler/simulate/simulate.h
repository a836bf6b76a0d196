// `simulate`: replay recorded samples through the decision engine (autoscaler/README.md).
//
// Pure apart from the thin file-reading wrapper in main. Time starts at `start` (default the Unix
// epoch, which is a Thursday 00:00 UTC) and advances by the samples' interval; schedule floors are
// evaluated at those instants, so a samples file can set `start:` (RFC 3339, UTC) to place the
// replay on a real day.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autoscaler/engine/engine.h"
#include "autoscaler/policy/policy.h"
#include "collectors/common/result.h"

namespace keelson::simulate {

struct Samples {
  std::int64_t interval_millis = 15000;
  std::int32_t replicas = 1;
  std::optional<engine::Time> start;  // `start:`; absent = the Unix epoch
  struct StepSample {
    // values[m]: policy metric m at this step, in the samples' own unit (autoscaler/README.md);
    // nullopt = unavailable. Milli-units (a sample "850" is 850000).
    std::vector<std::optional<std::int64_t>> values;
    // Keelson extension `steps[].replicas`: the replica count the sample was recorded at. When
    // set, per-pod samples (Utilization, AverageValue) are rescaled to the simulated replica
    // count assuming the same total load (value x recorded / simulated), so a what-if with other
    // replica counts does not replay per-pod load that would have been spread differently.
    std::optional<std::int32_t> recorded_replicas;
    // Keelson recording extensions (written by the controller's --record-steps, see
    // autoscaler/README.md "Recordings"). They apply only while the simulated replica count equals
    // `recordedReplicas` (the replay follows the recording); a what-if that diverges falls back to
    // `values` with the rescaling above.
    std::optional<std::int64_t> offset_millis;    // `time`: this step's offset since the start
    std::optional<std::int32_t> status_replicas;  // `status`: scale.status.replicas
    std::optional<std::int32_t> ready_pods;       // `ready`: target pods Running and Ready
    std::optional<std::int32_t> total_pods;       // `total`: target pods listed
    // `pods`: per policy metric, the per-pod samples the controller saw ([group, value, request]);
    // nullopt (or absent) = not recorded for that metric.
    std::vector<std::optional<std::vector<engine::PodSample>>> pods;
  };
  std::vector<StepSample> steps;
};

// "ready" / "unready" / "missing" / "ignored" (the recording's pod groups).
const char* toString(engine::PodGroup group);

// Parses the samples YAML. Errors (reason "InvalidSamples") read "FILE:LINE: sentence".
Result<Samples> parseSamples(std::string_view text, const std::string& fileName);

struct Step {
  std::int32_t step = 0;
  std::int64_t offset_millis = 0;  // since the start
  std::int32_t replicas = 0;       // before the step
  std::int32_t desired = 0;        // applied after it
  std::string reason;
  std::vector<std::optional<std::int64_t>> metrics;  // the values the engine saw (milli), after
                                                     //   any rescaling to the replica count
  std::int32_t recommended = -1;  // what the metrics asked for before behavior; -1 = none
  std::int32_t min_replicas = 0;  // effective min (schedule floors)
  std::int32_t max_replicas = 0;
};

// Errors: "InvalidSamples" when a step has more values than the policy has metrics.
Result<std::vector<Step>> run(const policy::Policy& policy, const Samples& samples);

// One JSON object: {"step":0,"time":"0s","replicas":10,"desired":20,"reason":"ScaleUpLimit"}.
// `time` is the offset since the start in Go-duration style ("0s", "15s", "1h2m30s").
std::string formatStep(const Step& step);
std::string formatDuration(std::int64_t millis);

// A self-contained SVG chart: one panel per metric (value vs target) and a replicas panel
// (replicas, desired, min, max) over time. Deterministic output for a given input.
std::string plotSvg(const policy::Policy& policy, const Samples& samples,
                    const std::vector<Step>& steps);

}  // namespace keelson::simulate
