#include "collectors/logs/processing/redact.h"

namespace keelson::logs::processing {
namespace {

// A run of 13-19 digits, single spaces or dashes allowed between them, not glued to other digits
// or letters. RE2's \b works on ASCII word characters, which is what delimits a number here.
constexpr std::string_view kCardPattern = R"(\b\d(?:[ -]?\d){12,18}\b)";
constexpr std::string_view kEmailPattern =
    R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})";
// The header name and scheme are kept (group 1), the token goes. A text that starts with
// "Bearer " is a header's value on its own (a parsed JSON body's "authorization" field).
constexpr std::string_view kBearerPattern =
    R"((?i)((?:authorization["']?\s*[:=]\s*["']?|^)bearer\s+)[A-Za-z0-9\-._~+/]+=*)";

// A literal as an RE2 rewrite string (backslashes are group references there).
std::string escapeRewrite(std::string_view literal) {
  std::string out;
  for (const char c : literal) {
    if (c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

RE2::Options options() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

}  // namespace

bool luhnValid(std::string_view text) {
  int sum = 0;
  int digits = 0;
  for (auto it = text.rbegin(); it != text.rend(); ++it) {
    if (*it < '0' || *it > '9') continue;
    int d = *it - '0';
    if (digits % 2 == 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    ++digits;
  }
  return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

Result<std::unique_ptr<Redaction>> Redaction::compile(const RedactRule& rule) {
  auto r = std::make_unique<Redaction>();
  std::string pattern = rule.pattern;
  r->rewrite_ = rule.replacement;
  if (rule.builtin == "card") {
    r->kind_ = Kind::Card;
    pattern = std::string(kCardPattern);
    r->replacement_ = rule.replacement;
  } else if (rule.builtin == "email") {
    pattern = std::string(kEmailPattern);
    r->rewrite_ = escapeRewrite(rule.replacement);
  } else if (rule.builtin == "bearer") {
    pattern = std::string(kBearerPattern);
    r->rewrite_ = "\\1" + escapeRewrite(rule.replacement);
  } else if (!rule.builtin.empty()) {
    return fail("BadPattern",
                "unknown builtin \"" + rule.builtin + "\" (known: card, email, bearer)");
  }
  r->re_ = std::make_unique<RE2>(pattern, options());
  if (!r->re_->ok()) {
    return fail("BadPattern", "pattern \"" + pattern + "\" is not valid RE2: " + r->re_->error());
  }
  if (r->kind_ == Kind::Rewrite) {
    std::string why;
    if (!r->re_->CheckRewriteString(r->rewrite_, &why)) {
      return fail("BadPattern", "replacement \"" + rule.replacement + "\": " + why);
    }
  }
  return r;
}

bool Redaction::apply(std::string_view text, std::string& out) const {
  if (kind_ == Kind::Rewrite) {
    if (!RE2::PartialMatch(text, *re_)) return false;
    out.assign(text);
    RE2::GlobalReplace(&out, *re_, rewrite_);
    return true;
  }
  // Card numbers: every candidate is Luhn-checked before it is replaced.
  bool replaced = false;
  std::size_t pos = 0;
  std::size_t copied = 0;
  re2::StringPiece m;
  while (pos <= text.size() && re_->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
    const auto begin = static_cast<std::size_t>(m.data() - text.data());
    const std::string_view hit(m.data(), m.size());
    if (luhnValid(hit)) {
      if (!replaced) out.clear();
      replaced = true;
      out.append(text.substr(copied, begin - copied));
      out.append(replacement_);
      copied = begin + hit.size();
    }
    pos = begin + (hit.empty() ? 1 : hit.size());
  }
  if (replaced) out.append(text.substr(copied));
  return replaced;
}

}  // namespace keelson::logs::processing
