#include "collectors/logs/processing/json_body.h"

namespace keelson::logs::processing {

std::string_view jsonBodyResultName(JsonBodyResult r) {
  switch (r) {
    case JsonBodyResult::Parsed:
      return "Parsed";
    case JsonBodyResult::NotJson:
      return "NotJson";
    case JsonBodyResult::Invalid:
      return "Invalid";
    case JsonBodyResult::TooLarge:
      return "TooLarge";
    case JsonBodyResult::TooDeep:
      return "TooDeep";
  }
  return "Unknown";
}

std::size_t jsonDepth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t max = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max) {
        max = depth;
        if (max > limit) return limit + 1;
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return max;
}

JsonBodyResult parseJsonBody(std::string_view text, std::size_t max_bytes, std::size_t max_depth,
                             nlohmann::ordered_json& out) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos || text[first] != '{') return JsonBodyResult::NotJson;
  if (text.size() > max_bytes) return JsonBodyResult::TooLarge;
  if (jsonDepth(text, max_depth) > max_depth) return JsonBodyResult::TooDeep;
  out =
      nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded() || !out.is_object()) return JsonBodyResult::Invalid;
  return JsonBodyResult::Parsed;
}

void appendJsonBody(std::string& out, const nlohmann::ordered_json& body) {
  out.append(body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace keelson::logs::processing
