// Kubernetes label selectors in the API server's text form, as Scale status.selector and
// `kubectl -l` write them: "app=web", "a==b", "a!=b", "tier in (x,y)", "tier notin (x)", "key",
// "!key", comma = and; "" selects everything. Pure; used by the autoscaler's pod index and the
// agent's `logs.pods.selector`.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::kube {

struct SelectorRequirement {
  enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::Equals;
  std::set<std::string> values;
};
using LabelSelector = std::vector<SelectorRequirement>;

// "InvalidSelector" with the offending text when it does not parse.
Result<LabelSelector> parseLabelSelector(const std::string& text);
bool matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels);

}  // namespace keelson::kube
