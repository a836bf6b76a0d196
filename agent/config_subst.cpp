#include "agent/config_subst.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <map>

#include "collectors/common/file.h"

namespace keelson::agent {
namespace {

constexpr const char* kForms = "${NAME}, ${NAME:-default}, ${env:NAME} or ${file:/path}";

bool isName(std::string_view s) {
  if (s.empty()) return false;
  const auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!alpha(s[0]) && s[0] != '_') return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '_'; });
}

Failure substError(std::string message) {
  return fail("ConfigSubstitution", std::move(message));
}

// The value of one reference's body (between `${` and `}`).
Result<std::string> resolve(std::string_view body, const SubstSources& sources) {
  if (body.starts_with("file:")) {
    const std::string path(body.substr(5));
    if (!path.starts_with("/")) {
      return substError(fmt::format("'${{file:{}}}' needs an absolute path", path));
    }
    auto text = sources.file(path, kMaxFileBytes);
    if (!text) {
      return substError(fmt::format("cannot read '${{file:{}}}': {}", path, text.error().message));
    }
    std::string v = std::move(text).value();
    // A file written by `echo` or kubectl ends with a newline that is not part of the secret.
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r'))
      v.pop_back();
    return v;
  }
  std::string_view ref = body;
  if (ref.starts_with("env:")) ref.remove_prefix(4);
  std::optional<std::string_view> fallback;
  if (const auto d = ref.find(":-"); d != std::string_view::npos) {
    fallback = ref.substr(d + 2);
    ref = ref.substr(0, d);
  }
  if (!isName(ref)) {
    // The body is not echoed: a malformed reference may hold a pasted secret.
    return substError(
        fmt::format("a malformed reference: the forms are {}; a variable's name is "
                    "letters, digits and '_' (write '$$' for a literal '$')",
                    kForms));
  }
  const std::string name(ref);
  auto value = sources.env(name);
  if (fallback && (!value || value->empty())) return std::string(*fallback);
  if (!value) {
    return substError(fmt::format(
        "environment variable '{}' is not set (or give a default: ${{{}:-default}})", name, name));
  }
  return std::move(*value);
}

}  // namespace

SubstSources systemSources() {
  SubstSources s;
  s.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  s.file = [](const std::string& path, std::size_t limit) { return readSmallFile(path, limit); };
  return s;
}

Result<std::string> substitute(std::string_view text, const SubstSources& sources,
                               std::vector<Substitution>* used, std::size_t max_bytes) {
  std::size_t substituted = 0;
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto dollar = text.find('$', i);
    if (dollar == std::string_view::npos || dollar + 1 >= text.size()) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, dollar - i));
    const char next = text[dollar + 1];
    if (next == '$') {
      out.push_back('$');
      i = dollar + 2;
      continue;
    }
    if (next != '{') {
      out.push_back('$');
      i = dollar + 1;
      continue;
    }
    const auto close = text.find('}', dollar + 2);
    if (close == std::string_view::npos) {
      return substError(
          "an unterminated '${' (close it with '}', or write '$$' for a literal '$')");
    }
    auto value = resolve(text.substr(dollar + 2, close - dollar - 2), sources);
    if (!value) return fail(value.error());
    substituted += value->size();
    if (substituted > max_bytes) {
      return substError(
          fmt::format("the substituted values exceed {} bytes in all", kMaxSubstitutedBytes));
    }
    if (used != nullptr) {
      used->push_back({std::string(text.substr(dollar, close - dollar + 1)), *value});
    }
    out.append(*value);
    i = close + 1;
  }
  return out;
}

Status substituteScalars(YAML::Node& root, const std::string& file, const SubstSources& sources,
                         std::vector<Substitution>& used) {
  // Each file once per load: every reference to it sees one content, and a large Secret
  // referenced many times is read once.
  std::map<std::string, Result<std::string>> files;
  SubstSources cached;
  cached.env = sources.env;
  cached.file = [&](const std::string& path, std::size_t limit) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) it = files.emplace(path, sources.file(path, limit)).first;
    return it->second;
  };
  // Collected first, assigned after: an alias shares its anchor's node, so assigning while
  // walking would scan a substituted value a second time through the alias.
  struct Pending {
    YAML::Node node;
    std::string value;
  };
  std::vector<Pending> pending;
  std::size_t total = 0;
  try {
    std::vector<YAML::Node> stack{root};
    while (!stack.empty()) {
      YAML::Node n = stack.back();
      stack.pop_back();
      if (n.IsMap()) {
        for (auto it = n.begin(); it != n.end(); ++it)
          stack.push_back(it->second);
      } else if (n.IsSequence()) {
        for (auto it = n.begin(); it != n.end(); ++it)
          stack.push_back(*it);
      } else if (n.IsScalar() && n.Scalar().find('$') != std::string::npos) {
        const auto mark = n.Mark();
        const std::string where = mark.is_null() ? file : fmt::format("{}:{}", file, mark.line + 1);
        const std::size_t before = used.size();
        auto value = substitute(n.Scalar(), cached, &used, kMaxSubstitutedBytes - total);
        if (!value) {
          return fail("ConfigSubstitution", fmt::format("{}: {}", where, value.error().message));
        }
        for (std::size_t k = before; k < used.size(); ++k)
          total += used[k].value.size();
        pending.push_back({n, std::move(value).value()});
      }
    }
    for (auto& p : pending)
      p.node = p.value;
  } catch (const std::exception& e) {
    return fail("ConfigSubstitution", fmt::format("{}: {}", file, e.what()));
  }
  return {};
}

std::string scrubSecrets(std::string message, const std::vector<Substitution>& used) {
  std::vector<const Substitution*> order;
  for (const auto& s : used) {
    if (s.value.size() >= 3) order.push_back(&s);
  }
  std::sort(order.begin(), order.end(), [](const Substitution* a, const Substitution* b) {
    return a->value.size() > b->value.size();
  });
  for (const Substitution* s : order) {
    std::size_t pos = 0;
    while ((pos = message.find(s->value, pos)) != std::string::npos) {
      message.replace(pos, s->value.size(), s->reference);
      pos += s->reference.size();
    }
  }
  return message;
}

}  // namespace keelson::agent
