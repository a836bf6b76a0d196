#include "autoscaler/engine/history.h"

#include <nlohmann/json.hpp>

namespace keelson::engine {
namespace {

using nlohmann::json;

std::int64_t millis(Time t) {
  return t.time_since_epoch().count();
}
Time fromMillis(std::int64_t ms) {
  return Time(std::chrono::milliseconds(ms));
}

json eventsToJson(const std::vector<ScaleEvent>& events) {
  json out = json::array();
  for (const auto& e : events)
    out.push_back({e.change, millis(e.at), e.outdated ? 1 : 0});
  return out;
}

bool eventsFromJson(const json& in, std::vector<ScaleEvent>& out) {
  if (!in.is_array()) return false;
  for (const auto& e : in) {
    if (!e.is_array() || e.size() != 3 || !e[0].is_number_integer() || !e[1].is_number_integer() ||
        !e[2].is_number_integer()) {
      return false;
    }
    out.push_back(
        {e[0].get<std::int32_t>(), fromMillis(e[1].get<std::int64_t>()), e[2].get<int>() != 0});
  }
  return true;
}

}  // namespace

std::string historyToJson(const History& history) {
  json recs = json::array();
  for (const auto& r : history.recommendations)
    recs.push_back({r.replicas, millis(r.at)});
  // nlohmann::json orders object keys alphabetically, which keeps the text stable.
  json out = {{"v", 1},
              {"recommendations", recs},
              {"scaleUp", eventsToJson(history.scale_up_events)},
              {"scaleDown", eventsToJson(history.scale_down_events)},
              {"failures", history.metric_failures}};
  return out.dump();
}

Result<History> historyFromJson(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) {
    return fail("InvalidHistory", "history is not a JSON object");
  }
  if (!in.contains("v") || in["v"] != 1) {
    return fail("InvalidHistory", "history has no supported version (\"v\":1)");
  }
  History h;
  if (in.contains("recommendations")) {
    const auto& recs = in["recommendations"];
    if (!recs.is_array()) return fail("InvalidHistory", "\"recommendations\" is not an array");
    for (const auto& r : recs) {
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() ||
          !r[1].is_number_integer()) {
        return fail("InvalidHistory", "\"recommendations\" entries must be [replicas, unixMillis]");
      }
      h.recommendations.push_back({r[0].get<std::int32_t>(), fromMillis(r[1].get<std::int64_t>())});
    }
  }
  if (in.contains("scaleUp") && !eventsFromJson(in["scaleUp"], h.scale_up_events)) {
    return fail("InvalidHistory", "\"scaleUp\" entries must be [change, unixMillis, outdated]");
  }
  if (in.contains("scaleDown") && !eventsFromJson(in["scaleDown"], h.scale_down_events)) {
    return fail("InvalidHistory", "\"scaleDown\" entries must be [change, unixMillis, outdated]");
  }
  if (in.contains("failures")) {
    const auto& f = in["failures"];
    if (!f.is_array()) return fail("InvalidHistory", "\"failures\" is not an array");
    for (const auto& n : f) {
      if (!n.is_number_integer()) return fail("InvalidHistory", "\"failures\" holds a non-integer");
      h.metric_failures.push_back(n.get<std::int32_t>());
    }
  }
  return h;
}

}  // namespace keelson::engine
