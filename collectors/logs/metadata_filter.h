// Pure: which pod labels and annotations a log record carries. Every record of a pod repeats its
// metadata, and pods (untrusted neighbours) choose it: a 200 KB annotation once turned each 5-byte
// line into a 200 KB record. So what a record carries is bounded by configuration
// (`logs.record_metadata`, agent/logs/README.md):
//
//   * keys selected by glob lists (`*` any run of bytes, `?` one byte; no other syntax), one list
//     for labels and one for annotations; a key matching no glob is left out (NotSelected);
//   * a value longer than `max_value_bytes` is left out whole (ValueTooLarge), never cut: a cut
//     value would look like a real one;
//   * the selected pairs are taken labels first, then annotations, each in key order, while their
//     JSON-encoded size ("key":"value", escaping included) fits in `max_bytes`; a pair that does
//     not fit is left out (MetadataBudget) and later, smaller pairs may still fit.
//
// The tailer applies it once per pod metadata change and counts what was left out
// (TailerCounters::metadata_omitted, keelson_log_metadata_omitted_total{reason}).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace keelson::logs {

struct MetadataPolicy {
  std::vector<std::string> labels = {"*"};
  std::vector<std::string> annotations = {"*"};
  std::size_t max_value_bytes = 1024;
  std::size_t max_bytes = 8 * 1024;  // per record, labels and annotations together
  friend bool operator==(const MetadataPolicy&, const MetadataPolicy&) = default;
};

// A container's image as the API reports it (status.containerStatuses[]): `image` (e.g.
// "docker.io/shop/cart:1.4") and `image_id` (the digest the runtime resolved, e.g.
// "docker.io/shop/cart@sha256:..."), the record's container_image / container_hash.
struct ContainerImage {
  std::string image;
  std::string image_id;
  friend bool operator==(const ContainerImage&, const ContainerImage&) = default;
};

struct FilteredMetadata {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // By container name; a value longer than max_value_bytes is left out (ValueTooLarge).
  std::map<std::string, ContainerImage> images;
  std::uint64_t not_selected = 0;
  std::uint64_t value_too_large = 0;
  std::uint64_t over_budget = 0;
};

// Reasons as metric labels.
inline constexpr std::string_view kOmittedNotSelected = "NotSelected";
inline constexpr std::string_view kOmittedValueTooLarge = "ValueTooLarge";
inline constexpr std::string_view kOmittedMetadataBudget = "MetadataBudget";

// `*` matches any run of bytes (also empty), `?` one byte, everything else itself. Linear in
// practice (one backtrack point), O(|glob| * |text|) at worst.
bool globMatch(std::string_view glob, std::string_view text);
// Whether any of `globs` matches `key` (a key records carry).
bool selected(const std::vector<std::string>& globs, std::string_view key);

FilteredMetadata filterMetadata(const MetadataPolicy& policy,
                                const std::map<std::string, std::string>& labels,
                                const std::map<std::string, std::string>& annotations,
                                const std::map<std::string, ContainerImage>& images = {});

}  // namespace keelson::logs
