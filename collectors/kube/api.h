// The pure request/response layer of the Kubernetes client: which resource a scaleTargetRef
// names, the URL paths, the JSON bodies, and the parsing of answers and errors. No I/O; every
// function is tested by tables.
//
// Kind mapping (scaleTargetRef apiVersion + kind -> group/version/resource):
//   apps/*  Deployment -> deployments, StatefulSet -> statefulsets, ReplicaSet -> replicasets
//   v1      ReplicationController -> replicationcontrollers
//   any other kind: the lower-cased kind pluralised the way the API server's RESTMapper guesses
//   (…s/x/z/ch/sh -> +es, consonant+y -> ies, otherwise +s), e.g. argoproj.io/v1alpha1 Rollout ->
//   rollouts. Custom resources whose plural is irregular need a policy `resource:` override.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "collectors/common/result.h"

namespace keelson::kube {

struct GroupVersionResource {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural, lower case

  friend bool operator==(const GroupVersionResource&, const GroupVersionResource&) = default;
};

// Maps apiVersion ("apps/v1", "v1", "argoproj.io/v1alpha1") and kind to a resource.
// "ConfigError" when either is empty or malformed.
Result<GroupVersionResource> resourceForKind(const std::string& apiVersion,
                                             const std::string& kind);

// "/apis/apps/v1/namespaces/shop/deployments/web/scale" (core group: "/api/v1/...").
// An empty `name` gives the collection path. Every segment is percent-encoded (pathSegment), so a
// value holding '/', CR, LF or a dot-segment can never change which object, or which request,
// the path names, even when a caller skipped validation (collectors/kube/names.h).
std::string resourcePath(const GroupVersionResource& gvr, const std::string& ns,
                         const std::string& name = "", const std::string& subresource = "");

// One path segment: RFC 3986 unreserved bytes as they are, everything else %XX; "." and ".."
// become "%2E" and "%2E%2E".
std::string pathSegment(const std::string& value);

// Why `text` (a request target or a header value) must not be sent: nullopt when it holds no
// control character (CR and LF above all: they would end the request line or header).
std::optional<std::string> unsafeRequestText(const std::string& text);

// Percent-encodes a query parameter value.
std::string queryEscape(const std::string& value);

struct Scale {
  int spec_replicas = 0;
  int status_replicas = 0;
  std::string selector;  // status.selector, label-selector text ("app=web,tier in (a,b)")
  std::string resource_version;
  std::string uid;
};

// Parses an autoscaling/v1 Scale object. "BadResponse" when it is not one.
Result<Scale> parseScale(const std::string& body);

// Merge patch of spec.replicas, with metadata.resourceVersion as an optimistic-concurrency
// precondition when non-empty (the API server answers 409 Conflict when it moved).
std::string scalePatchBody(int replicas, const std::string& resourceVersion);

// What a failed request means for the caller. Reasons: "Forbidden" (403), "NotFound" (404),
// "Conflict" (409), "AlreadyExists" (409 + Status reason AlreadyExists), "Unauthorized" (401),
// "Invalid" (422), "TooManyRequests" (429), "ServerError" (5xx), "BadRequest" (other 4xx).
// `verb` and `what` ("deployments/scale", "leases") and `ns` shape the sentence, e.g.
// "forbidden: cannot patch deployments/scale in namespace shop (User
// "system:serviceaccount:ops:keelson" cannot patch resource ...): grant it in a Role".
Error apiError(int status, const std::string& body, const std::string& verb,
               const std::string& what, const std::string& ns);

// True for answers worth retrying after a back-off (5xx, 429).
bool retryableStatus(int status);

// Kubernetes resource quantities ("100m", "1.5", "512Mi", "2G", "1e3") in base units, through the
// exact parser (collectors/common/quantity.h): rounded up to a milli-unit as the HPA reads them
// ("250u" -> 0.001), refused beyond int64 milli-units.
std::optional<double> parseQuantity(const std::string& text);

struct PodInfo {
  std::string name;
  std::string phase;  // "Pending", "Running", ...
  bool ready = false;
  bool deleting = false;   // metadata.deletionTimestamp set
  std::string start_time;  // RFC 3339, empty when not started
  std::string ready_transition_time;
  // Sum over the pod's containers of their requests, by resource name ("cpu" in cores,
  // "memory" in bytes). A resource missing from any container is absent here (the HPA cannot
  // compute utilization for such a pod).
  std::map<std::string, double> requests;
  // Each container's own requests, by container name then resource name (same units); a
  // container without requests maps to an empty map. ContainerResource Utilization divides the
  // named container's usage by this request, as the HPA does.
  std::map<std::string, std::map<std::string, double>> container_requests;
  std::map<std::string, std::string> labels;
};

// Parses a PodList. "BadResponse" when it is not one.
Result<std::vector<PodInfo>> parsePodList(const std::string& body);

// A core/v1 Event about `involved` (apiVersion/kind/name/namespace/uid), as the HPA writes them:
// type "Normal" or "Warning", reason "SuccessfulRescale" / "FailedRescale" / "FailedGetScale" ...,
// source.component = `component`. `timestamp` is RFC 3339.
struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;
  std::string uid;
};
nlohmann::json eventBody(const ObjectReference& involved, const std::string& type,
                         const std::string& reason, const std::string& message,
                         const std::string& component, const std::string& timestamp);

// RFC 3339 with microseconds in UTC ("2026-11-21T10:00:00.123456Z"), the MicroTime format that
// Leases use; and its parser (accepts any fraction and "Z" only, as the API server writes).
std::string formatMicroTime(std::int64_t unixMicros);
std::optional<std::int64_t> parseMicroTime(const std::string& text);

}  // namespace keelson::kube
