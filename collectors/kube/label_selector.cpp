#include "collectors/kube/label_selector.h"

#include <algorithm>
#include <cctype>

namespace keelson::kube {
namespace {

std::string trim(std::string s) {
  const auto notSpace = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

}  // namespace

Result<LabelSelector> parseLabelSelector(const std::string& text) {
  LabelSelector out;
  auto bad = [&text](const std::string& why) {
    return fail("InvalidSelector", "label selector \"" + text + "\": " + why);
  };
  // Split at commas outside parentheses.
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth < 0) return bad("unbalanced parentheses");
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (depth != 0) return bad("unbalanced parentheses");
  parts.push_back(current);
  for (auto part : parts) {
    part = trim(part);
    if (part.empty()) {
      if (parts.size() == 1) return out;  // "": everything
      return bad("empty requirement");
    }
    SelectorRequirement r;
    const auto paren = part.find('(');
    if (paren != std::string::npos) {
      if (part.back() != ')') return bad("expected ')' at the end of \"" + part + "\"");
      std::string head = trim(part.substr(0, paren));
      const auto space = head.find_last_of(" \t");
      if (space == std::string::npos) return bad("expected 'in' or 'notin' in \"" + part + "\"");
      const std::string op = head.substr(space + 1);
      r.key = trim(head.substr(0, space));
      if (op == "in") {
        r.op = SelectorRequirement::Op::In;
      } else if (op == "notin") {
        r.op = SelectorRequirement::Op::NotIn;
      } else {
        return bad("unknown operator \"" + op + "\"");
      }
      std::string list = part.substr(paren + 1, part.size() - paren - 2);
      for (std::size_t start = 0; start <= list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        const std::string v = trim(list.substr(start, comma - start));
        if (!v.empty()) r.values.insert(v);
        start = comma + 1;
      }
    } else if (auto ne = part.find("!="); ne != std::string::npos) {
      r.op = SelectorRequirement::Op::NotEquals;
      r.key = trim(part.substr(0, ne));
      r.values.insert(trim(part.substr(ne + 2)));
    } else if (auto eq = part.find('='); eq != std::string::npos) {
      r.op = SelectorRequirement::Op::Equals;
      r.key = trim(part.substr(0, eq));
      const std::size_t skip = part.compare(eq, 2, "==") == 0 ? 2 : 1;
      r.values.insert(trim(part.substr(eq + skip)));
    } else if (part[0] == '!') {
      r.op = SelectorRequirement::Op::DoesNotExist;
      r.key = trim(part.substr(1));
    } else {
      r.op = SelectorRequirement::Op::Exists;
      r.key = part;
    }
    if (r.key.empty() || r.key.find_first_of(" \t()=!") != std::string::npos) {
      return bad("bad key in \"" + part + "\"");
    }
    out.push_back(std::move(r));
  }
  return out;
}

bool matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels) {
  for (const auto& r : selector) {
    const auto it = labels.find(r.key);
    const bool has = it != labels.end();
    switch (r.op) {
      case SelectorRequirement::Op::Equals:
      case SelectorRequirement::Op::In:
        if (!has || r.values.count(it->second) == 0) return false;
        break;
      case SelectorRequirement::Op::NotEquals:
      case SelectorRequirement::Op::NotIn:
        if (has && r.values.count(it->second) != 0) return false;
        break;
      case SelectorRequirement::Op::Exists:
        if (!has) return false;
        break;
      case SelectorRequirement::Op::DoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace keelson::kube
