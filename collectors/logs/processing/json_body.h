// The JSON-body parser behind logs.parse_json: a `log` that is a JSON object becomes a value the
// encoder writes as a field. Bounded: bodies over max_bytes or nested deeper than max_depth are
// not parsed (the depth is checked by a linear scan before the parser runs, so a body of 100k
// '[' cannot exhaust the stack). Pure.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

namespace keelson::logs::processing {

enum class JsonBodyResult {
  Parsed,
  NotJson,   // does not start with '{' (after blanks): plain text, not an object
  Invalid,   // starts like an object but is not valid JSON
  TooLarge,  // longer than max_bytes
  TooDeep,   // nested deeper than max_depth
};
std::string_view jsonBodyResultName(JsonBodyResult r);

// Nesting depth of `text` (objects and arrays, outside strings), stopping once it exceeds `limit`
// (returns limit + 1 then).
std::size_t jsonDepth(std::string_view text, std::size_t limit);

// Parses `text` into `out` (an object, keys in their original order) when it is a JSON object
// within the limits.
JsonBodyResult parseJsonBody(std::string_view text, std::size_t max_bytes, std::size_t max_depth,
                             nlohmann::ordered_json& out);

// Appends the body as compact JSON (invalid UTF-8 in strings replaced by U+FFFD).
void appendJsonBody(std::string& out, const nlohmann::ordered_json& body);

}  // namespace keelson::logs::processing
