// One compiled redaction (rules.h RedactRule): built-in or custom RE2 pattern and replacement.
// Pure and thread-safe (const after compile).
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>

#include "collectors/common/result.h"
#include "collectors/logs/processing/rules.h"

namespace keelson::logs::processing {

// The Luhn checksum over the digits of `text` (other bytes ignored); false with fewer than 13
// or more than 19 digits (no payment card has those).
bool luhnValid(std::string_view text);

class Redaction {
 public:
  // Errors: "BadPattern" (the pattern does not compile as RE2, or an unknown builtin, or a
  // replacement naming a group the pattern does not have).
  static Result<std::unique_ptr<Redaction>> compile(const RedactRule& rule);

  // Replaces the matches in `text`; writes the result to `out` and returns true when something
  // was replaced (`out` is untouched otherwise: the common case allocates nothing).
  bool apply(std::string_view text, std::string& out) const;

 private:
  enum class Kind { Card, Rewrite };
  Kind kind_ = Kind::Rewrite;
  std::unique_ptr<RE2> re_;
  std::string rewrite_;      // RE2 rewrite string (\1 ... escaped)
  std::string replacement_;  // Card: the literal replacement
};

}  // namespace keelson::logs::processing
