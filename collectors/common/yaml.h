// The one place YAML text is read (policy files, the agent's configuration, simulate's samples):
// yaml-cpp, plus what yaml-cpp does not check.
//
//  - Duplicate keys in a mapping are errors (yaml-cpp keeps one of them silently), reported at the
//    second occurrence with the key's path and the line of the first: "duplicate key
//    \"spec.maxReplicas\" (first at line 7)".
//  - Anchors and aliases are accepted (PyYAML writes `&id001` / `*id001` for repeated values),
//    within a bound on the size of the document with every alias expanded (Limits::max_nodes), so a
//    "billion laughs" document is refused before any caller walks it.
//  - Nesting deeper than yaml-cpp's own guard (500) is a syntax error from yaml-cpp.
//
// Problems carry the 1-based line and a sentence without the file name; callers add the file
// (Problem::format). Pure and thread-safe: no shared state; exceptions never leave this module.
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keelson::yaml {

struct Limits {
  // Nodes (scalars, nulls, mappings, sequences) in a document after alias expansion. A week of
  // 15 s simulate steps with one metric is ~200,000; policy and configuration files are far
  // smaller.
  std::size_t max_nodes = 1'000'000;
};

struct Problem {
  // "InvalidYaml" (syntax, from yaml-cpp), "DuplicateKey", "TooLarge" (alias expansion).
  std::string reason;
  int line = 0;         // 1-based; 0 when unknown
  std::string message;  // for InvalidYaml, yaml-cpp's own text ("end of sequence flow not found")

  // "FILE:LINE: message" ("FILE: message" without a line).
  std::string format(const std::string& file) const;
};

struct Documents {
  std::vector<YAML::Node> documents;  // in file order; empty documents are null nodes
  std::optional<Problem> problem;     // set: `documents` is empty
  bool ok() const { return !problem; }
};

// Every document of a stream.
Documents loadAll(std::string_view text, Limits limits = {});

// The first document (a null node for an empty text), as YAML::Load; a later document is ignored.
Documents loadFirst(std::string_view text, Limits limits = {});

// Feeds the events of the first document to `handler` with every alias replaced by the events of
// its anchor (the handler never sees OnAlias, and anchors are 0), after the same checks. For
// long files read as an event stream (simulate's samples). `handler` must not throw; a problem
// found mid-stream is returned after the events that preceded it were delivered.
std::optional<Problem> stream(std::string_view text, YAML::EventHandler& handler,
                              Limits limits = {});

}  // namespace keelson::yaml
