#include "collectors/logs/line_parser.h"

namespace keelson::logs {

std::string_view streamName(Stream s) {
  switch (s) {
    case Stream::Stdout:
      return "stdout";
    case Stream::Stderr:
      return "stderr";
    default:
      return "unknown";
  }
}

std::string_view parseErrorReason(ParseError e) {
  switch (e) {
    case ParseError::None:
      return "None";
    case ParseError::CriTime:
      return "CriTime";
    case ParseError::CriStream:
      return "CriStream";
    case ParseError::CriTag:
      return "CriTag";
    case ParseError::JsonSyntax:
      return "JsonSyntax";
    case ParseError::JsonMissingField:
      return "JsonMissingField";
    default:
      return "Unknown";
  }
}

LogFormat detectFormat(std::string_view first_line) {
  if (first_line.empty()) return LogFormat::Unknown;
  return first_line.front() == '{' ? LogFormat::DockerJson : LogFormat::Cri;
}

namespace {

// Cheap shape check of an RFC3339 timestamp: "YYYY-MM-DDTHH:MM:SS" then anything without spaces
// (fraction and zone). Verbatim is what we ship; this only tells a CRI line from garbage. Every
// position is checked without a branch (`&`, not `&&`): this runs once per line, and the valid
// case is the common one.
bool looksLikeRfc3339(std::string_view t) {
  if (t.size() < 20) return false;
  const auto d = [&](std::size_t i) { return static_cast<unsigned char>(t[i] - '0') <= 9; };
  return d(0) & d(1) & d(2) & d(3) & (t[4] == '-') & d(5) & d(6) & (t[7] == '-') & d(8) & d(9) &
         (t[10] == 'T') & d(11) & d(12) & (t[13] == ':') & d(14) & d(15) & (t[16] == ':') & d(17) &
         d(18);
}

ParsedLine malformed(std::string_view line, ParseError e) {
  ParsedLine p;
  p.message = line;
  p.error = e;
  return p;
}

}  // namespace

ParsedLine parseCriLine(std::string_view line) {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || !looksLikeRfc3339(line.substr(0, sp1))) {
    return malformed(line, ParseError::CriTime);
  }
  ParsedLine p;
  p.time = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1 + 1);
  if (rest.starts_with("stdout ")) {
    p.stream = Stream::Stdout;
  } else if (rest.starts_with("stderr ")) {
    p.stream = Stream::Stderr;
  } else {
    auto m = malformed(line, ParseError::CriStream);
    m.time = p.time;
    return m;
  }
  rest.remove_prefix(7);
  // Tag: "P" or "F", optionally followed by ":<more tags>", then a space (or end of line).
  if (rest.empty() || (rest[0] != 'P' && rest[0] != 'F')) {
    auto m = malformed(line, ParseError::CriTag);
    m.time = p.time;
    m.stream = p.stream;
    return m;
  }
  p.partial = rest[0] == 'P';
  std::size_t i = 1;
  if (i < rest.size() && rest[i] == ':') {
    while (i < rest.size() && rest[i] != ' ')
      ++i;
  }
  if (i < rest.size() && rest[i] != ' ') {
    auto m = malformed(line, ParseError::CriTag);
    m.time = p.time;
    m.stream = p.stream;
    return m;
  }
  p.message = i < rest.size() ? rest.substr(i + 1) : std::string_view{};
  return p;
}

namespace {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view s) : s_(s) {}

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool atEnd() {
    ws();
    return i_ >= s_.size();
  }

  // A string: raw = the bytes between the quotes. If `out` is given, unescapes into it.
  bool string(std::string_view& raw, std::string* out) {
    ws();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    const std::size_t begin = i_;
    std::size_t run = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        if (out) out->append(s_.data() + run, i_ - run);
        raw = s_.substr(begin, i_ - begin);
        ++i_;
        return true;
      }
      if (c != '\\') {
        ++i_;
        continue;
      }
      if (out) out->append(s_.data() + run, i_ - run);
      if (++i_ >= s_.size()) return false;
      const char e = s_[i_++];
      char lit = 0;
      switch (e) {
        case '"':
          lit = '"';
          break;
        case '\\':
          lit = '\\';
          break;
        case '/':
          lit = '/';
          break;
        case 'b':
          lit = '\b';
          break;
        case 'f':
          lit = '\f';
          break;
        case 'n':
          lit = '\n';
          break;
        case 'r':
          lit = '\r';
          break;
        case 't':
          lit = '\t';
          break;
        case 'u': {
          std::uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo;
            const std::size_t save = i_;
            if (i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
              i_ += 2;
              if (hex4(lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                i_ = save;
                cp = 0xFFFD;
              }
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          if (out) appendUtf8(*out, cp);
          run = i_;
          continue;
        }
        default:
          return false;
      }
      if (out) out->push_back(lit);
      run = i_;
    }
    return false;
  }

  // Skips any JSON value (strings aware of escapes, nested containers by depth).
  bool skipValue() {
    ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') {
      std::string_view raw;
      return string(raw, nullptr);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (i_ < s_.size()) {
        const char d = s_[i_];
        if (d == '"') {
          std::string_view raw;
          if (!string(raw, nullptr)) return false;
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          if (--depth == 0) {
            ++i_;
            return true;
          }
        }
        ++i_;
      }
      return false;
    }
    const std::size_t begin = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ')
      ++i_;
    return i_ > begin;
  }

 private:
  bool hex4(std::uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<std::uint32_t>(h - 'A' + 10);
      else
        return false;
    }
    return true;
  }
  static void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

ParsedLine parseDockerJsonLine(std::string_view line, std::string& scratch) {
  scratch.clear();
  JsonCursor j(line);
  if (!j.eat('{')) return malformed(line, ParseError::JsonSyntax);
  bool have_log = false;
  std::string_view time, stream_name;
  if (!j.peek('}')) {
    for (;;) {
      std::string_view key;
      if (!j.string(key, nullptr) || !j.eat(':')) return malformed(line, ParseError::JsonSyntax);
      std::string_view raw;
      if (key == "log" && j.peek('"')) {
        scratch.clear();
        if (!j.string(raw, &scratch)) return malformed(line, ParseError::JsonSyntax);
        have_log = true;
      } else if (key == "stream" && j.peek('"')) {
        if (!j.string(stream_name, nullptr)) return malformed(line, ParseError::JsonSyntax);
      } else if (key == "time" && j.peek('"')) {
        if (!j.string(time, nullptr)) return malformed(line, ParseError::JsonSyntax);
      } else if (!j.skipValue()) {
        return malformed(line, ParseError::JsonSyntax);
      }
      if (j.eat(',')) continue;
      if (j.peek('}')) break;
      return malformed(line, ParseError::JsonSyntax);
    }
  }
  j.eat('}');
  if (!j.atEnd()) return malformed(line, ParseError::JsonSyntax);
  if (!have_log) {
    scratch.clear();
    auto m = malformed(line, ParseError::JsonMissingField);
    m.time = time;
    return m;
  }
  ParsedLine p;
  p.time = time;
  p.stream = stream_name == "stdout"   ? Stream::Stdout
             : stream_name == "stderr" ? Stream::Stderr
                                       : Stream::Unknown;
  std::string_view msg = scratch;
  if (!msg.empty() && msg.back() == '\n') {
    msg.remove_suffix(1);
  } else {
    p.partial = true;  // docker splits long lines at 16 KiB; only the last piece ends in '\n'
  }
  p.message = msg;
  return p;
}

namespace {

// The string value of `"key":"` found last in `s` (no escapes expected in stream/time values).
std::string_view lastStringField(std::string_view s, std::string_view key) {
  const auto at = s.rfind(key);
  if (at == std::string_view::npos) return {};
  const auto begin = at + key.size();
  const auto end = s.find('"', begin);
  if (end == std::string_view::npos) return {};
  return s.substr(begin, end - begin);
}

}  // namespace

ParsedLine parseDockerJsonCut(std::string_view head, std::string_view tail, std::string& scratch) {
  scratch.clear();
  constexpr std::string_view kLogKey = "{\"log\":\"";
  if (!head.starts_with(kLogKey)) return malformed(head, ParseError::JsonSyntax);
  // Unescape the head as a JSON string that was cut: keep it up to the last complete escape (or
  // up to the closing quote, when the whole value fits in the head), then close it.
  std::string_view body = head.substr(kLogKey.size());
  std::size_t keep = 0;
  while (keep < body.size() && body[keep] != '"') {
    if (body[keep] != '\\') {
      ++keep;
      continue;
    }
    const std::size_t len = (keep + 1 < body.size() && body[keep + 1] == 'u') ? 6 : 2;
    if (keep + len > body.size()) break;
    keep += len;
  }
  body = body.substr(0, keep);
  std::string quoted;
  quoted.reserve(body.size() + 2);
  quoted.push_back('"');
  quoted.append(body);
  quoted.push_back('"');
  JsonCursor j(quoted);
  std::string_view raw;
  if (!j.string(raw, &scratch)) return malformed(head, ParseError::JsonSyntax);
  ParsedLine p;
  p.time = lastStringField(tail, "\"time\":\"");
  const auto stream = lastStringField(tail, "\"stream\":\"");
  p.stream = stream == "stdout"   ? Stream::Stdout
             : stream == "stderr" ? Stream::Stderr
                                  : Stream::Unknown;
  std::string_view msg = scratch;
  if (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  p.message = msg;
  return p;
}

ParsedLine parseLine(LogFormat format, std::string_view line, std::string& scratch) {
  return format == LogFormat::DockerJson ? parseDockerJsonLine(line, scratch) : parseCriLine(line);
}

}  // namespace keelson::logs
