// Parsing and validating policy files (yaml-cpp; exceptions never leave this module).
//
// A file holds one or more YAML documents, each either
//   apiVersion: keelson.io/v1,        kind: ScalingPolicy
//   apiVersion: autoscaling/v2,       kind: HorizontalPodAutoscaler
// Empty documents are skipped. Unknown fields are errors; Keelson's extensions (Prometheus and
// KafkaLag metrics, per-metric `query`, `schedules`, `fallback`, `syncPeriodSeconds`, activation
// thresholds) are errors in a HorizontalPodAutoscaler document, which must stay applicable to a
// real cluster.
//
// Every problem is reported as one Diagnostic "FILE:LINE: sentence" naming the field by its path
// (e.g. "spec.metrics[1].resource.target.averageUtilization must be > 0, got -5"). Parsing
// continues after a bad document so `check` reports everything at once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "autoscaler/policy/field_recorder.h"
#include "autoscaler/policy/policy.h"

namespace keelson::policy {

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no position (unreadable file)
  std::string message;

  // "file:line: message" (or "file: message" without a line).
  std::string format() const;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

struct ParseOutput {
  std::vector<Policy> policies;         // the valid documents, in file order
  std::vector<Diagnostic> diagnostics;  // empty = everything valid
  bool ok() const { return diagnostics.empty(); }
};

// Pure: parses `text` as the content of `fileName` (used only in messages). Thread-safe.
// `recorder` (autoscaler/crd's schema discovery) is told every field read.
ParseOutput parsePolicies(std::string_view text, const std::string& fileName,
                          FieldRecorder* recorder = nullptr);

// Reads PATH: a file, or a directory whose *.yaml / *.yml files (non-recursive, sorted by name)
// are parsed in turn. Also reports policies with the same namespace/name in two places, and
// unreadable paths, as diagnostics. Does file I/O; no other side effects.
ParseOutput loadPolicies(const std::string& path);

// A file is read up to this many bytes; a larger one (or an endless one such as /dev/zero) is one
// diagnostic at line 0 and none of its policies load. A ConfigMap, where policies usually come
// from, holds at most 1 MiB; yaml-cpp needs about 7 bytes of memory per byte of input.
inline constexpr std::size_t kMaxPolicyFileBytes = 4 * 1024 * 1024;

}  // namespace keelson::policy
