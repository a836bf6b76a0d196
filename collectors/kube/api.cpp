#include "collectors/kube/api.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "collectors/common/quantity.h"
#include "collectors/http/url.h"
#include "collectors/kube/names.h"

namespace keelson::kube {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string pluralise(const std::string& singular) {
  if (endsWith(singular, "s") || endsWith(singular, "x") || endsWith(singular, "z") ||
      endsWith(singular, "ch") || endsWith(singular, "sh")) {
    return singular + "es";
  }
  if (singular.size() >= 2 && singular.back() == 'y' &&
      std::string("aeiou").find(singular[singular.size() - 2]) == std::string::npos) {
    return singular.substr(0, singular.size() - 1) + "ies";
  }
  return singular + "s";
}

std::string stringAt(const json& object, const json::json_pointer& pointer) {
  if (!object.contains(pointer)) return "";
  const json& value = object.at(pointer);
  return value.is_string() ? value.get<std::string>() : "";
}

}  // namespace

Result<GroupVersionResource> resourceForKind(const std::string& apiVersion,
                                             const std::string& kind) {
  if (apiVersion.empty() || kind.empty()) {
    return fail("ConfigError", "scaleTargetRef needs apiVersion and kind");
  }
  if (auto bad = checkKind(kind)) return fail("ConfigError", "scaleTargetRef kind " + *bad);
  if (auto bad = checkApiVersion(apiVersion)) {
    return fail("ConfigError", "scaleTargetRef apiVersion " + *bad);
  }
  GroupVersionResource gvr;
  const auto slash = apiVersion.find('/');
  if (slash == std::string::npos) {
    gvr.version = apiVersion;
  } else {
    gvr.group = apiVersion.substr(0, slash);
    gvr.version = apiVersion.substr(slash + 1);
    if (gvr.group.empty() || gvr.version.empty() || gvr.version.find('/') != std::string::npos) {
      return fail("ConfigError", "scaleTargetRef apiVersion '" + apiVersion + "' is malformed");
    }
  }
  static const std::map<std::string, std::string> known = {
      {"Deployment", "deployments"},
      {"StatefulSet", "statefulsets"},
      {"ReplicaSet", "replicasets"},
      {"ReplicationController", "replicationcontrollers"},
  };
  const auto it = known.find(kind);
  gvr.resource = it != known.end() ? it->second : pluralise(lower(kind));
  return gvr;
}

std::string pathSegment(const std::string& value) {
  // "." and ".." would be resolved as dot-segments by any URL normaliser on the way.
  if (value == ".") return "%2E";
  if (value == "..") return "%2E%2E";
  return queryEscape(value);
}

std::string resourcePath(const GroupVersionResource& gvr, const std::string& ns,
                         const std::string& name, const std::string& subresource) {
  std::string path = gvr.group.empty()
                         ? "/api/" + pathSegment(gvr.version)
                         : "/apis/" + pathSegment(gvr.group) + "/" + pathSegment(gvr.version);
  if (!ns.empty()) path += "/namespaces/" + pathSegment(ns);
  path += "/" + pathSegment(gvr.resource);
  if (!name.empty()) path += "/" + pathSegment(name);
  if (!name.empty() && !subresource.empty()) path += "/" + pathSegment(subresource);
  return path;
}

std::optional<std::string> unsafeRequestText(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return quoteForMessage(text) + " holds a control character";
  }
  return std::nullopt;
}

std::string queryEscape(const std::string& value) {
  return http::queryEscape(value);
}

Result<Scale> parseScale(const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("BadResponse", "scale is not JSON");
  if (doc.value("kind", "") != "Scale") {
    return fail("BadResponse", "expected a Scale object, got kind '" + doc.value("kind", "") + "'");
  }
  Scale scale;
  const json spec = doc.value("spec", json::object());
  const json status = doc.value("status", json::object());
  if (spec.contains("replicas") && spec["replicas"].is_number_integer()) {
    scale.spec_replicas = spec["replicas"].get<int>();
  }
  if (status.contains("replicas") && status["replicas"].is_number_integer()) {
    scale.status_replicas = status["replicas"].get<int>();
  }
  scale.selector = status.value("selector", "");
  scale.resource_version = stringAt(doc, "/metadata/resourceVersion"_json_pointer);
  scale.uid = stringAt(doc, "/metadata/uid"_json_pointer);
  return scale;
}

std::string scalePatchBody(int replicas, const std::string& resourceVersion) {
  json patch = {{"spec", {{"replicas", replicas}}}};
  if (!resourceVersion.empty()) patch["metadata"] = {{"resourceVersion", resourceVersion}};
  return patch.dump();
}

bool retryableStatus(int status) {
  return status == 429 || (status >= 500 && status <= 599);
}

Error apiError(int status, const std::string& body, const std::string& verb,
               const std::string& what, const std::string& ns) {
  std::string serverMessage;
  std::string serverReason;
  const json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    serverMessage = doc.value("message", "");
    serverReason = doc.value("reason", "");
  }
  if (serverMessage.empty()) serverMessage = body.substr(0, 200);
  const std::string where = ns.empty() ? "cluster-wide" : "in namespace " + ns;
  const std::string action = verb + " " + what + " " + where;
  const std::string detail = serverMessage.empty() ? "" : " (" + serverMessage + ")";
  switch (status) {
    case 401:
      return {"Unauthorized",
              "unauthorized: the API server rejected the credentials for " + action + detail};
    case 403:
      return {"Forbidden", "forbidden: cannot " + action + detail + ": grant '" + verb + "' on " +
                               what + " to this service account"};
    case 404:
      return {"NotFound", "not found: " + action + detail};
    case 409:
      if (serverReason == "AlreadyExists") return {"AlreadyExists", "already exists: " + action};
      return {"Conflict", "conflict: " + action + detail};
    case 422:
      return {"Invalid", "invalid: " + action + detail};
    case 429:
      return {"TooManyRequests", "throttled by the API server: " + action + detail};
    default:
      break;
  }
  if (status >= 500) {
    return {"ServerError", "server error " + std::to_string(status) + ": " + action + detail};
  }
  return {"BadRequest", "HTTP " + std::to_string(status) + ": " + action + detail};
}

std::optional<double> parseQuantity(const std::string& text) {
  // The exact parser, in milli-units as the HPA reads requests (Quantity.MilliValue()).
  const auto milli = parseQuantityMilli(text);
  if (!milli) return std::nullopt;
  return static_cast<double>(*milli) / 1000.0;
}

Result<std::vector<PodInfo>> parsePodList(const std::string& body) {
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("items") ||
      !doc["items"].is_array()) {
    return fail("BadResponse", "expected a PodList");
  }
  std::vector<PodInfo> pods;
  for (const json& item : doc["items"]) {
    if (!item.is_object()) continue;
    PodInfo pod;
    pod.name = stringAt(item, "/metadata/name"_json_pointer);
    pod.deleting = item.contains("/metadata/deletionTimestamp"_json_pointer);
    if (item.contains("/metadata/labels"_json_pointer)) {
      for (const auto& [key, value] : item.at("/metadata/labels"_json_pointer).items()) {
        if (value.is_string()) pod.labels[key] = value.get<std::string>();
      }
    }
    pod.phase = stringAt(item, "/status/phase"_json_pointer);
    pod.start_time = stringAt(item, "/status/startTime"_json_pointer);
    if (item.contains("/status/conditions"_json_pointer)) {
      for (const json& cond : item.at("/status/conditions"_json_pointer)) {
        if (cond.is_object() && cond.value("type", "") == "Ready") {
          pod.ready = cond.value("status", "") == "True";
          pod.ready_transition_time = cond.value("lastTransitionTime", "");
        }
      }
    }
    if (item.contains("/spec/containers"_json_pointer)) {
      std::map<std::string, int> counts;
      int containers = 0;
      for (const json& container : item.at("/spec/containers"_json_pointer)) {
        ++containers;
        auto& own = pod.container_requests[stringAt(container, "/name"_json_pointer)];
        if (!container.contains("/resources/requests"_json_pointer)) continue;
        for (const auto& [resource, value] :
             container.at("/resources/requests"_json_pointer).items()) {
          if (!value.is_string()) continue;
          if (auto quantity = parseQuantity(value.get<std::string>())) {
            pod.requests[resource] += *quantity;
            own[resource] = *quantity;
            ++counts[resource];
          }
        }
      }
      for (const auto& [resource, count] : counts) {
        if (count != containers) pod.requests.erase(resource);
      }
    }
    pods.push_back(std::move(pod));
  }
  return pods;
}

json eventBody(const ObjectReference& involved, const std::string& type, const std::string& reason,
               const std::string& message, const std::string& component,
               const std::string& timestamp) {
  json ref = {{"apiVersion", involved.api_version},
              {"kind", involved.kind},
              {"name", involved.name},
              {"namespace", involved.ns}};
  if (!involved.uid.empty()) ref["uid"] = involved.uid;
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"generateName", involved.name + "."}, {"namespace", involved.ns}}},
          {"involvedObject", ref},
          {"type", type},
          {"reason", reason},
          {"message", message},
          {"source", {{"component", component}}},
          {"reportingComponent", component},
          {"firstTimestamp", timestamp.substr(0, 19) + "Z"},
          {"lastTimestamp", timestamp.substr(0, 19) + "Z"},
          {"count", 1}};
}

std::string formatMicroTime(std::int64_t unixMicros) {
  std::int64_t seconds = unixMicros / 1000000;
  std::int64_t micros = unixMicros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return buffer;
}

std::optional<std::int64_t> parseMicroTime(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return std::nullopt;
  }
  std::size_t pos = static_cast<std::size_t>(consumed);
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    for (; digits < 6; ++digits)
      micros *= 10;
  }
  if (pos + 1 != text.size() || text[pos] != 'Z') return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = timegm(&tm);
  return seconds * 1000000 + micros;
}

}  // namespace keelson::kube
