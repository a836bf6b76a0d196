// Pure parsers for one physical line of a container log file (without its trailing '\n').
//
//   CRI (containerd, CRI-O):  <RFC3339Nano time> <stdout|stderr> <P|F>[:tags] <message>
//   docker json-file:         {"log":"message\n","stream":"stdout","time":"2026-...Z"}
//
// No regex, no allocation on the CRI path; the docker path unescapes into a caller-owned scratch
// string that is reused line after line. Malformed lines are not errors to the caller: the result
// carries a ParseError reason and the raw line as the message, so the record is still shipped
// (raw, flagged) and counted by reason. Thread safety: free functions, no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace keelson::logs {

enum class Stream : std::uint8_t { Stdout = 0, Stderr = 1, Unknown = 2 };
inline constexpr int kStreamCount = 3;

// "stdout", "stderr", "unknown" (the value of the record's "stream" field).
std::string_view streamName(Stream s);

// Why a line could not be parsed. The token names (parseErrorReason) are stable metric labels.
enum class ParseError : std::uint8_t {
  None = 0,
  CriTime,           // first field missing or not an RFC3339 timestamp
  CriStream,         // second field not stdout/stderr
  CriTag,            // third field not P or F (optionally followed by ":<tags>")
  JsonSyntax,        // not a JSON object, or broken string escapes
  JsonMissingField,  // an object without a string "log" field
  kCount,
};
inline constexpr int kParseErrorCount = static_cast<int>(ParseError::kCount);

// "CriTime", "CriStream", ...; "None" for ParseError::None.
std::string_view parseErrorReason(ParseError e);

enum class LogFormat : std::uint8_t { Unknown, Cri, DockerJson };

// One parsed line. The views point into the input line, or (docker json) into the scratch string
// passed to the parser; they are valid until either changes.
struct ParsedLine {
  std::string_view time;  // verbatim; empty when unknown (malformed lines)
  Stream stream = Stream::Unknown;
  bool partial = false;      // CRI "P" tag, or a docker "log" value without a trailing '\n'
  std::string_view message;  // without the trailing newline; the raw line when error != None
  ParseError error = ParseError::None;
};

// A file's format, from its first line: '{' as first byte means docker json, anything else CRI.
LogFormat detectFormat(std::string_view first_line);

ParsedLine parseCriLine(std::string_view line);

// Unescapes the "log" value fully (\" \\ \/ \b \f \n \r \t \uXXXX incl. surrogate pairs; a lone
// surrogate becomes U+FFFD). `scratch` is cleared and reused; keep its capacity between calls.
ParsedLine parseDockerJsonLine(std::string_view line, std::string& scratch);

// A docker json line too long to keep whole: the reader kept its first bytes (`head`) and its last
// bytes (`tail`). Docker writes "log" first and "stream"/"time" last, so the message prefix is
// unescaped from the head (stopping before an escape cut in half) and stream/time are read from
// the tail. Falls back to a raw JsonSyntax line (the head) when the head does not start with
// {"log":". The result is not partial (it ends where the physical line ends).
ParsedLine parseDockerJsonCut(std::string_view head, std::string_view tail, std::string& scratch);

// Dispatch on `format` (Unknown is treated as CRI).
ParsedLine parseLine(LogFormat format, std::string_view line, std::string& scratch);

}  // namespace keelson::logs
