// What the parser reads, field by field: the hook that lets autoscaler/crd derive the
// ScalingPolicy CRD's OpenAPI schema from the parser itself (one source of truth), by parsing
// probe documents with a recorder attached. Parsing without a recorder is unaffected.
//
// Paths are the parser's own ("spec.metrics[0].resource.target"); list indices are kept, the
// recorder folds them. Not thread-safe; one recorder per parse.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keelson::policy {

struct FieldUse {
  enum class Kind {
    String,     // free text
    Name,       // a Kubernetes name: `rule` says which
    Enum,       // one of `values`
    Integer,    // [min, max]
    Quantity,   // a Kubernetes quantity (int or string); `min` is 0 or 1 (> 0)
    Boolean,    // true / false
    StringMap,  // label: value mapping
    Rejected,   // accepted by the parser's key list only to give a better message: not in a schema
  };
  Kind kind = Kind::String;
  std::string rule;  // Name: "dns1123subdomain", "dns1123label", "kind", "apiVersion"
  std::vector<std::string> values;
  std::int64_t min = 0;
  std::int64_t max = 0;
  bool required = false;
};

class FieldRecorder {
 public:
  virtual ~FieldRecorder() = default;
  // A mapping at `path` was read, allowing `keys` (Keelson extensions included).
  virtual void object(const std::string& path, const std::vector<std::string>& keys) = 0;
  // `key` of the mapping at `path` was read as `use`.
  virtual void field(const std::string& path, const std::string& key, const FieldUse& use) = 0;
  // `key` of the mapping at `path` (an object or a list) is required at this read.
  virtual void required(const std::string& path, const std::string& key) = 0;
};

}  // namespace keelson::policy
