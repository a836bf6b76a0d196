#include "collectors/logs/record_encoder.h"

#include "collectors/logs/json_escape.h"

namespace keelson::logs {
namespace {

void appendField(std::string& out, std::string_view key, std::string_view value, bool comma) {
  if (comma) out.push_back(',');
  appendJsonString(out, key);
  out.push_back(':');
  appendJsonString(out, value);
}

void appendMap(std::string& out, std::string_view key,
               const std::map<std::string, std::string>& map) {
  out.push_back(',');
  appendJsonString(out, key);
  out.append(":{");
  bool first = true;
  for (const auto& [k, v] : map) {
    appendField(out, k, v, !first);
    first = false;
  }
  out.push_back('}');
}

}  // namespace

void RecordEncoder::setMetadata(PodMetadata metadata) {
  metadata_ = std::move(metadata);
  suffix_.clear();
  suffix_.append(",\"kubernetes\":{");
  appendField(suffix_, "namespace_name", metadata_.namespace_name, false);
  appendField(suffix_, "pod_name", metadata_.pod_name, true);
  appendField(suffix_, "pod_id", metadata_.pod_uid, true);
  appendField(suffix_, "container_name", metadata_.container_name, true);
  if (!metadata_.container_id.empty()) {
    appendField(suffix_, "container_id", metadata_.container_id, true);
  }
  if (!metadata_.container_image.empty()) {
    appendField(suffix_, "container_image", metadata_.container_image, true);
  }
  if (!metadata_.container_hash.empty()) {
    appendField(suffix_, "container_hash", metadata_.container_hash, true);
  }
  appendField(suffix_, "host", metadata_.host, true);
  appendMap(suffix_, "labels", metadata_.labels);
  appendMap(suffix_, "annotations", metadata_.annotations);
  suffix_.append("}}");
  if (processing_) selectRules();
}

void RecordEncoder::setProcessing(std::shared_ptr<const processing::Processing> processing) {
  processing_ = std::move(processing);
  selectRules();
}

void RecordEncoder::selectRules() {
  rules_ = processing_ ? processing_->forFile(metadata_.namespace_name, metadata_.pod_name,
                                              metadata_.container_name)
                       : nullptr;
  if (rules_ && !scratch_) scratch_ = std::make_shared<processing::Scratch>();
}

void RecordEncoder::setTimestampKey(std::string_view key) {
  timestamp_prefix_.clear();
  if (key.empty()) return;
  timestamp_prefix_.append("\",");
  appendJsonString(timestamp_prefix_, key);
  timestamp_prefix_.append(":\"");
}

bool RecordEncoder::encode(std::string& out, std::string_view time, Stream stream,
                           std::string_view log, std::uint32_t flags, ParseError error) const {
  processing::Outcome processed;
  if (rules_) {
    processed = rules_->apply(log, *scratch_);
    if (processed.dropped) return false;
    log = processed.log;
  }
  out.reserve(out.size() + 48 + timestamp_prefix_.size() + 2 * time.size() + log.size() +
              log.size() / 8 + suffix_.size() + processed.body.size());
  out.append("{\"time\":\"");
  appendJsonEscaped(out, time);
  if (!timestamp_prefix_.empty() && !time.empty()) {
    out.append(timestamp_prefix_);
    appendJsonEscaped(out, time);
  }
  out.append("\",\"stream\":\"");
  out.append(streamName(stream));
  out.push_back('"');
  if (processed.keep_log) {
    out.append(",\"log\":\"");
    appendJsonEscaped(out, log);
    out.push_back('"');
  }
  if (!processed.into.empty()) {
    out.push_back(',');
    appendJsonString(out, processed.into);
    out.push_back(':');
    out.append(processed.body);
  }
  if (flags & kRecordTruncated) out.append(",\"truncated\":true");
  if (error != ParseError::None) {
    out.append(",\"parse_error\":\"");
    out.append(parseErrorReason(error));
    out.push_back('"');
  }
  out.append(suffix_);
  return true;
}

}  // namespace keelson::logs
