// The ScalingPolicy CustomResourceDefinition (keelson.io/v1), generated from the policy parser.
//
// One source of truth: the spec schema is not written by hand. specSchema() parses probe
// ScalingPolicy documents (crd.cpp: together they take every branch of the parser) with a
// policy::FieldRecorder attached, and turns what the parser read into OpenAPI v3: every mapping
// the parser allows becomes an object with exactly those properties (the API server refuses
// unknown fields under kubectl's strict validation), integer ranges become minimum/maximum,
// one-of strings enums, quantities int-or-string, names their DNS-1123 patterns, and a field is
// required when the parser required it at every read. What a schema cannot express
// (maxReplicas >= minReplicas, a cron expression, a time zone, the metric body that matches
// `type`) is checked by the controller, which shows the parser's message in status
// (ScalingActive=False, reason InvalidPolicy).
//
// `keelson-autoscaler crd` prints crdYaml(); deploy/base/autoscaler/crd-scalingpolicies.yaml is
// that output, and the unit test CustomResourceDefinition.CheckedInFileIsCurrent fails when it
// is stale. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "collectors/common/result.h"

namespace keelson::crd {

inline constexpr const char* kGroup = "keelson.io";
inline constexpr const char* kVersion = "v1";
inline constexpr const char* kPlural = "scalingpolicies";
inline constexpr const char* kKind = "ScalingPolicy";
inline constexpr const char* kShortName = "ksp";

// The probe documents (YAML); they must parse without a diagnostic.
const std::string& probeDocuments();

// OpenAPI v3 schema of .spec. "SchemaIncomplete" when the parser allows a field that no probe
// made it read (add the field to the probes).
Result<nlohmann::ordered_json> specSchema();
// OpenAPI v3 schema of .status (written by the controller, autoscaler/controller/status.h).
nlohmann::ordered_json statusSchema();
Result<nlohmann::ordered_json> customResourceDefinition();

// Block-style YAML of `value` (keys in their order, strings quoted only where YAML needs it).
std::string toYaml(const nlohmann::ordered_json& value);

// The checked-in manifest: a header comment + toYaml(customResourceDefinition()).
Result<std::string> crdYaml();

}  // namespace keelson::crd
