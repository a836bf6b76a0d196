#include "autoscaler/sources/connections.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "collectors/common/file.h"
#include "collectors/common/yaml.h"
#include "collectors/kube/names.h"

namespace keelson::sources {
namespace {

// The first problem wins: "<where>:<line>: <message>".
struct Errors {
  const std::string& where;
  std::string first;
  void add(const YAML::Node& at, const std::string& message) {
    if (!first.empty()) return;
    first = where;
    if (at.IsDefined() && at.Mark().line >= 0) first += ":" + std::to_string(at.Mark().line + 1);
    first += ": " + message;
  }
};

bool onlyKeys(Errors& errors, const YAML::Node& node, const std::string& path,
              std::initializer_list<const char*> allowed) {
  if (!node.IsMap()) {
    errors.add(node, path + " must be a mapping");
    return false;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.as<std::string>("");
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }) ==
        allowed.end()) {
      std::string list;
      for (const char* a : allowed)
        list += std::string(list.empty() ? "" : ", ") + a;
      errors.add(it->first, fmt::format("{}: unknown field {}; expected one of: {}", path,
                                        kube::quoteForMessage(key), list));
      return false;
    }
  }
  return true;
}

void parseKind(Errors& errors, const YAML::Node& node, const std::string& kind,
               const std::string& dir, std::map<std::string, Connection>& out) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    errors.add(node, kind + " must be a mapping of connection name: {namespaces, config}");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string name = it->first.as<std::string>("");
    const std::string path = kind + "." + name;
    if (auto bad = kube::checkObjectName("connection", name)) {
      errors.add(it->first, kind + ": " + *bad);
      return;
    }
    const YAML::Node body = it->second;
    if (!onlyKeys(errors, body, path, {"namespaces", "config"})) return;
    Connection c;
    c.name = name;
    c.line = body.Mark().line + 1;
    const YAML::Node config = body["config"];
    if (!config.IsDefined() || !config.IsScalar() || config.Scalar().empty()) {
      errors.add(body, path + ".config is required: the file of the connection's settings");
      return;
    }
    std::filesystem::path file(config.Scalar());
    c.config = file.is_absolute() || dir.empty() ? file.string() : (dir / file).string();
    if (const YAML::Node ns = body["namespaces"]; ns.IsDefined() && !ns.IsNull()) {
      if (!ns.IsSequence()) {
        errors.add(ns, path + ".namespaces must be a list of namespaces");
        return;
      }
      for (const auto& item : ns) {
        const std::string value = item.IsScalar() ? item.Scalar() : "";
        if (auto bad = kube::checkNamespace(value)) {
          errors.add(item, path + ".namespaces: " + *bad);
          return;
        }
        c.namespaces.insert(value);
      }
    }
    out.emplace(name, std::move(c));
  }
}

}  // namespace

Result<Connections> parseConnections(const std::string& yamlText, const std::string& where,
                                     const std::string& dir) {
  auto loaded = yaml::loadFirst(yamlText);
  if (!loaded.ok()) return fail("ConfigError", loaded.problem->format(where));
  const YAML::Node root = loaded.documents.empty() ? YAML::Node() : loaded.documents[0];
  Connections out;
  Errors errors{where, {}};
  try {
    if (root.IsDefined() && !root.IsNull() &&
        onlyKeys(errors, root, "connections", {"prometheus", "kafka"})) {
      parseKind(errors, root["prometheus"], "prometheus", dir, out.prometheus);
      parseKind(errors, root["kafka"], "kafka", dir, out.kafka);
    }
  } catch (const std::exception& e) {
    errors.add(root, std::string("cannot read: ") + e.what());
  }
  if (!errors.first.empty()) return fail("ConfigError", errors.first);
  return out;
}

Result<Connections> loadConnections(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return fail("ConfigError", "cannot read " + path + ": " + text.error().reason);
  return parseConnections(*text, path, std::filesystem::path(path).parent_path().string());
}

std::optional<std::string> connectionRefusal(const Connections* connections,
                                             const std::string& kind, const std::string& name,
                                             const std::string& ns) {
  const std::map<std::string, Connection>* named =
      connections == nullptr ? nullptr
                             : (kind == "kafka" ? &connections->kafka : &connections->prometheus);
  const auto it =
      named == nullptr ? std::map<std::string, Connection>::const_iterator() : named->find(name);
  if (named == nullptr || it == named->end()) {
    std::string known;
    if (named != nullptr) {
      for (const auto& [n, c] : *named)
        known += (known.empty() ? "" : ", ") + n;
    }
    return fmt::format("no {} connection named \"{}\" (the controller's --connections defines: {})",
                       kind, name, known.empty() ? "none" : known);
  }
  const auto& allowed = it->second.namespaces;
  if (allowed.empty() || allowed.count(ns) != 0) return std::nullopt;
  std::string list;
  for (const auto& n : allowed)
    list += (list.empty() ? "" : ", ") + n;
  return fmt::format(
      "the {} connection \"{}\" may not be used by policies in namespace {} "
      "(allowed: {})",
      kind, name, ns, list);
}

}  // namespace keelson::sources
