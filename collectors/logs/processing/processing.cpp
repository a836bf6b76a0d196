#include "collectors/logs/processing/processing.h"

#include "collectors/logs/metadata_filter.h"

namespace keelson::logs::processing {
namespace {

RE2::Options re2Options() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

std::vector<std::string> splitPath(std::string_view field) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const auto dot = field.find('.', pos);
    out.emplace_back(field.substr(pos, dot == std::string_view::npos ? field.npos : dot - pos));
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return out;
}

const nlohmann::ordered_json* lookup(const nlohmann::ordered_json& body,
                                     const std::vector<std::string>& path) {
  const nlohmann::ordered_json* at = &body;
  for (const auto& key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

// Redacts every string value of `j` (not the keys); true when something changed.
bool redactStrings(nlohmann::ordered_json& j, const Redaction& r, std::string& tmp) {
  bool changed = false;
  if (j.is_string()) {
    if (r.apply(j.get_ref<const std::string&>(), tmp)) {
      j.get_ref<std::string&>().swap(tmp);
      changed = true;
    }
  } else if (j.is_structured()) {
    for (auto& v : j) {
      changed = redactStrings(v, r, tmp) || changed;
    }
  }
  return changed;
}

}  // namespace

bool Match::selects(std::string_view namespace_name, std::string_view pod_name,
                    std::string_view container_name) const {
  return (namespace_glob.empty() || globMatch(namespace_glob, namespace_name)) &&
         (pod_glob.empty() || globMatch(pod_glob, pod_name)) &&
         (container_glob.empty() || globMatch(container_glob, container_name));
}

FileRules::Drop::Drop(const DropRule& rule, const RE2::Options& options)
    : name(rule.name), match(rule.match), field(rule.field), re(rule.pattern, options) {
  if (!field.empty()) path = splitPath(field);
}

Result<std::shared_ptr<const Processing>> Processing::compile(const ProcessingConfig& config) {
  auto p = std::make_shared<Processing>();
  p->config_ = config;
  const auto options = re2Options();
  for (std::size_t i = 0; i < config.drop.size(); ++i) {
    DropRule rule = config.drop[i];
    if (rule.name.empty()) rule.name = "drop[" + std::to_string(i) + "]";
    auto d = std::make_unique<FileRules::Drop>(rule, options);
    if (!d->re.ok()) {
      return fail("ConfigError", "logs.drop[" + std::to_string(i) + "].pattern \"" + rule.pattern +
                                     "\" is not valid RE2: " + d->re.error());
    }
    if (!rule.field.empty() && !config.parse_json.enabled) {
      return fail("ConfigError", "logs.drop[" + std::to_string(i) + "].field \"" + rule.field +
                                     "\" needs logs.parse_json.enabled: true");
    }
    p->drops_.push_back(std::move(d));
  }
  for (std::size_t i = 0; i < config.redact.size(); ++i) {
    const RedactRule& rule = config.redact[i];
    auto compiled = Redaction::compile(rule);
    if (!compiled) {
      return fail("ConfigError",
                  "logs.redact[" + std::to_string(i) + "]: " + compiled.error().message);
    }
    auto r = std::make_unique<FileRules::Redact>();
    r->name = !rule.name.empty()      ? rule.name
              : !rule.builtin.empty() ? rule.builtin
                                      : "redact[" + std::to_string(i) + "]";
    r->match = rule.match;
    r->redaction = std::move(compiled).value();
    p->redacts_.push_back(std::move(r));
  }
  return std::shared_ptr<const Processing>(std::move(p));
}

std::shared_ptr<const FileRules> Processing::forFile(std::string_view ns, std::string_view pod,
                                                     std::string_view container) const {
  auto rules = std::make_shared<FileRules>();
  for (const auto& d : drops_) {
    if (!d->match.selects(ns, pod, container)) continue;
    (d->field.empty() ? rules->drop_log_ : rules->drop_field_).push_back(d.get());
  }
  for (const auto& r : redacts_) {
    if (r->match.selects(ns, pod, container)) rules->redact_.push_back(r.get());
  }
  if (config_.parse_json.enabled && config_.parse_json.match.selects(ns, pod, container)) {
    rules->parse_json_ = &config_.parse_json;
  }
  if (rules->drop_log_.empty() && rules->drop_field_.empty() && rules->redact_.empty() &&
      rules->parse_json_ == nullptr) {
    return nullptr;
  }
  rules->owner_ = shared_from_this();
  return rules;
}

ProcessingCounters Processing::counters() const {
  ProcessingCounters c;
  for (const auto& d : drops_)
    c.dropped[d->name] += d->count.load(std::memory_order_relaxed);
  for (const auto& r : redacts_)
    c.redacted[r->name] += r->count.load(std::memory_order_relaxed);
  if (config_.parse_json.enabled) {
    for (std::size_t i = 0; i < json_counts_.size(); ++i) {
      c.json[std::string(jsonBodyResultName(static_cast<JsonBodyResult>(i)))] =
          json_counts_[i].load(std::memory_order_relaxed);
    }
  }
  return c;
}

Outcome FileRules::apply(std::string_view log, Scratch& s) const {
  Outcome o;
  o.log = log;
  for (const Drop* d : drop_log_) {
    if (RE2::PartialMatch(log, d->re)) {
      d->count.fetch_add(1, std::memory_order_relaxed);
      o.dropped = true;
      return o;
    }
  }
  bool parsed = false;
  if (parse_json_ != nullptr) {
    const auto r = parseJsonBody(log, parse_json_->max_bytes, parse_json_->max_depth, s.json);
    owner_->json_counts_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    parsed = r == JsonBodyResult::Parsed;
  }
  if (parsed) {
    for (const Drop* d : drop_field_) {
      const auto* v = lookup(s.json, d->path);
      if (v == nullptr) continue;
      const bool hit = v->is_string() ? RE2::PartialMatch(v->get_ref<const std::string&>(), d->re)
                                      : RE2::PartialMatch(v->dump(), d->re);
      if (hit) {
        d->count.fetch_add(1, std::memory_order_relaxed);
        o.dropped = true;
        return o;
      }
    }
  }
  for (const Redact* r : redact_) {
    bool changed = false;
    if (r->redaction->apply(o.log, s.tmp)) {
      s.log.swap(s.tmp);
      o.log = s.log;
      changed = true;
    }
    if (parsed && redactStrings(s.json, *r->redaction, s.tmp)) changed = true;
    if (changed) r->count.fetch_add(1, std::memory_order_relaxed);
  }
  if (parsed) {
    s.body.clear();
    appendJsonBody(s.body, s.json);
    o.body = s.body;
    o.into = parse_json_->into;
    o.keep_log = parse_json_->keep_log;
  }
  return o;
}

}  // namespace keelson::logs::processing
