#include "agent/config.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>

#include "collectors/common/file.h"
#include "collectors/common/yaml.h"
#include "collectors/http/server.h"

namespace keelson::agent {
namespace {

struct StringKey {
  const char* key;
  std::string AgentConfig::*field;
};
constexpr StringKey kStringKeys[] = {
    {"cgroup_root", &AgentConfig::cgroup_root}, {"proc_root", &AgentConfig::proc_root},
    {"log_root", &AgentConfig::log_root},       {"cgroups", &AgentConfig::cgroups},
    {"state_dir", &AgentConfig::state_dir},     {"listen", &AgentConfig::listen},
    {"node_name", &AgentConfig::node_name},     {"sink", &AgentConfig::sink},
    {"port_file", &AgentConfig::port_file},     {"kubeconfig", &AgentConfig::kubeconfig},
};

// 1,000 containers need ~14,000 (11 files x 1,250 cgroups); far above that is a typo.
constexpr unsigned long kMaxKeepOpenFiles = 1000000;

// Checks the value of `cgroups`; `what` names it ("FILE:LINE: cgroups" or "--cgroups").
Status checkCgroups(const std::string& value, const std::string& what) {
  if (value == "kubepods" || value == "all") return {};
  return fail("ConfigValue", fmt::format("{}: '{}' is not one of kubepods, all", what, value));
}

std::string where(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return fmt::format("{}:{}", file, mark.line + 1);
}

Status parseMetadata(const YAML::Node& value, const std::string& file, AgentConfig& config) {
  if (value.IsNull()) return {};
  if (!value.IsMap()) {
    return fail("ConfigType", fmt::format("{}: 'metadata' must be a mapping ({{enabled: true}})",
                                          where(file, value.Mark())));
  }
  for (const auto& entry : value) {
    const auto key = entry.first.as<std::string>();
    if (key != "enabled") {
      return fail("ConfigUnknownKey",
                  fmt::format("{}: unknown key 'metadata.{}' (known keys: enabled)",
                              where(file, entry.first.Mark()), key));
    }
    bool enabled = false;
    if (!entry.second.IsScalar() || !YAML::convert<bool>::decode(entry.second, enabled)) {
      return fail("ConfigType", fmt::format("{}: 'metadata.enabled' must be true or false",
                                            where(file, entry.second.Mark())));
    }
    config.metadata_enabled = enabled;
  }
  return {};
}

struct MetricsKey {
  const char* key;
  std::size_t MetricsEndpointConfig::*field;
  std::size_t min, max;
};
constexpr MetricsKey kMetricsKeys[] = {
    {"min_interval_ms", &MetricsEndpointConfig::min_interval_ms, 0, 60000},
    {"max_connections", &MetricsEndpointConfig::max_connections, 1, 10000},
    {"write_timeout_ms", &MetricsEndpointConfig::write_timeout_ms, 100, 600000},
};

Status parseMetrics(const YAML::Node& value, const std::string& file, AgentConfig& config) {
  if (value.IsNull()) return {};
  if (!value.IsMap()) {
    return fail("ConfigType", fmt::format("{}: 'metrics' must be a mapping ({{max_connections: "
                                          "64}})",
                                          where(file, value.Mark())));
  }
  for (const auto& entry : value) {
    const auto key = entry.first.as<std::string>();
    const MetricsKey* known = nullptr;
    for (const auto& k : kMetricsKeys) {
      if (key == k.key) known = &k;
    }
    if (known == nullptr) {
      return fail("ConfigUnknownKey",
                  fmt::format("{}: unknown key 'metrics.{}' (known keys: min_interval_ms, "
                              "max_connections, write_timeout_ms)",
                              where(file, entry.first.Mark()), key));
    }
    unsigned long n = 0;
    if (!entry.second.IsScalar() || !YAML::convert<unsigned long>::decode(entry.second, n) ||
        n < known->min || n > known->max) {
      return fail("ConfigType",
                  fmt::format("{}: 'metrics.{}' must be a number from {} to {}",
                              where(file, entry.second.Mark()), key, known->min, known->max));
    }
    config.metrics.*(known->field) = n;
  }
  return {};
}

}  // namespace

Result<AgentConfig> parseAgentConfig(const std::string& text, const std::string& file) {
  return parseAgentConfig(text, file, systemSources());
}

namespace {
Result<AgentConfig> parseSubstituted(YAML::Node root, AgentConfig config);
}  // namespace

Result<AgentConfig> parseAgentConfig(const std::string& text, const std::string& file,
                                     const SubstSources& sources) {
  AgentConfig config;
  config.file = file;
  // collectors/common/yaml.h: duplicate keys are errors, aliases bounded.
  auto loaded = yaml::loadFirst(text);
  if (!loaded.ok()) {
    const auto& p = *loaded.problem;
    return fail(p.reason == "InvalidYaml" ? "ConfigSyntax" : "Config" + p.reason, p.format(file));
  }
  YAML::Node root = loaded.documents.front();
  std::vector<Substitution> used;
  if (auto st = substituteScalars(root, file, sources, used); !st) return fail(st.error());
  auto parsed = parseSubstituted(root, std::move(config));
  if (!parsed) return fail(parsed.error().reason, scrubSecrets(parsed.error().message, used));
  parsed->substitutions = std::move(used);
  return parsed;
}

namespace {
Result<AgentConfig> parseSubstituted(YAML::Node root, AgentConfig config) {
  const std::string file = config.file;
  try {
    if (root.IsNull()) return config;  // an empty file means all defaults
    if (!root.IsMap()) {
      return fail("ConfigType", fmt::format("{}: the configuration must be a mapping of keys",
                                            where(file, root.Mark())));
    }
    for (const auto& entry : root) {
      const auto key = entry.first.as<std::string>();
      const YAML::Node& value = entry.second;
      if (key == "logs") {
        config.logs = value;
        continue;
      }
      if (key == "metadata") {
        if (auto st = parseMetadata(value, file, config); !st) return fail(st.error());
        continue;
      }
      if (key == "metrics") {
        if (auto st = parseMetrics(value, file, config); !st) return fail(st.error());
        continue;
      }
      if (key == "keep_open_files") {
        unsigned long n = 0;
        if (!value.IsScalar() || !YAML::convert<unsigned long>::decode(value, n) ||
            n > kMaxKeepOpenFiles) {
          return fail("ConfigType",
                      fmt::format("{}: 'keep_open_files' must be a number of descriptors from 0 "
                                  "to {}",
                                  where(file, value.Mark()), kMaxKeepOpenFiles));
        }
        config.keep_open_files = n;
        continue;
      }
      const StringKey* known = nullptr;
      for (const auto& k : kStringKeys) {
        if (key == k.key) known = &k;
      }
      if (known == nullptr) {
        std::string keys = "logs, metadata, keep_open_files, metrics";
        for (const auto& k : kStringKeys)
          keys += std::string(", ") + k.key;
        return fail("ConfigUnknownKey", fmt::format("{}: unknown key '{}' (known keys: {})",
                                                    where(file, entry.first.Mark()), key, keys));
      }
      if (!value.IsScalar() || value.Scalar().empty()) {
        return fail("ConfigType", fmt::format("{}: '{}' must be a non-empty string",
                                              where(file, value.Mark()), key));
      }
      config.*(known->field) = value.Scalar();
      if (key == "cgroups") {
        if (auto st = checkCgroups(value.Scalar(), where(file, value.Mark()) + ": cgroups"); !st)
          return fail(st.error());
      }
      if (key == "listen") {
        if (auto addr = http::parseListenAddress(value.Scalar()); !addr) {
          return fail("ConfigValue", fmt::format("{}: listen: {}", where(file, value.Mark()),
                                                 addr.error().message));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return fail("ConfigSyntax", fmt::format("{}: {}", where(file, e.mark), e.msg));
  }
  return config;
}
}  // namespace

Result<AgentConfig> loadAgentConfig(const std::string& path) {
  auto text = readSmallFile(path, 4 << 20);
  if (!text)
    return fail("ConfigRead", fmt::format("{}: cannot read: {}", path, text.error().message));
  return parseAgentConfig(*text, path);
}

void applyOverrides(AgentConfig& config, const std::map<std::string, std::string>& overrides) {
  for (const auto& [key, value] : overrides) {
    for (const auto& k : kStringKeys) {
      if (key == k.key) config.*(k.field) = value;
    }
  }
}

}  // namespace keelson::agent

namespace keelson::agent {
Result<AgentConfig> resolveConfig(const std::map<std::string, std::string>& flags,
                                  bool require_file) {
  AgentConfig config;
  if (const auto it = flags.find("config"); it != flags.end()) {
    auto loaded = loadAgentConfig(it->second);
    if (!loaded) return loaded;
    config = std::move(*loaded);
  } else if (require_file) {
    return fail("ConfigMissing", "--config FILE is required");
  }
  applyOverrides(config, flags);
  if (config.node_name.empty()) {
    // Inside the DaemonSet NODE_NAME comes from the downward API; the host name is the fallback.
    if (const char* env = std::getenv("NODE_NAME"); env != nullptr && *env != '\0') {
      config.node_name = env;
    } else {
      char host[256] = {};
      if (::gethostname(host, sizeof(host) - 1) == 0) config.node_name = host;
    }
  }
  if (auto addr = http::parseListenAddress(config.listen); !addr) {
    return fail("ConfigValue", "--listen: " + addr.error().message);
  }
  if (auto st = checkCgroups(config.cgroups,
                             flags.contains("cgroups") ? "--cgroups" : config.file + ": cgroups");
      !st) {
    return fail(st.error());
  }
  return config;
}
}  // namespace keelson::agent
