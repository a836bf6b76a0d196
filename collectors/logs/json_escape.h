// JSON string escaping that always yields valid JSON from arbitrary bytes.
//
// Policy (documented for consumers of the records):
//   - '"' and '\\' are escaped; \b \f \n \r \t use their short forms; every other byte below 0x20
//     (NUL included) becomes \u00XX. DEL (0x7f) is legal in JSON and is copied as is.
//   - Valid UTF-8 (per RFC 3629: no overlongs, no surrogates, <= U+10FFFF) is copied unchanged.
//   - Every byte of an invalid UTF-8 sequence is replaced by U+FFFD (written as the three raw bytes
//     EF BF BD), one replacement per maximal invalid subpart, so the output is valid UTF-8.
// Pure; no allocation beyond growing `out`.
#pragma once

#include <string>
#include <string_view>

namespace keelson::logs {

// Appends the escaped form of `bytes` (without surrounding quotes) to `out`.
void appendJsonEscaped(std::string& out, std::string_view bytes);

// Appends "<escaped>" (with quotes).
inline void appendJsonString(std::string& out, std::string_view bytes) {
  out.push_back('"');
  appendJsonEscaped(out, bytes);
  out.push_back('"');
}

}  // namespace keelson::logs
