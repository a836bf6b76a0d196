// The Kubernetes API client: authenticated JSON requests over an http::HttpTransport with a
// client-side rate limit (token bucket, client-go's QPS/burst) and exponential back-off on 5xx, 429
// and connection errors; typed helpers for the scale subresource, pods, events, leases and config
// maps. Answers that are not 2xx become Errors from apiError() (api.h): "Forbidden", "NotFound",
// "Conflict", ...
//
// The bearer token is taken from ClusterConfig::token, or re-read from tokenFile before every
// request so a rotated service-account token is picked up (it is a few hundred bytes).
//
// Thread safety: none (one client per thread; each owns its connection), except cancel(). Time:
// every wait goes through the Clock, so tests with a ManualClock never sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/http/transport.h"
#include "collectors/kube/api.h"
#include "collectors/kube/clock.h"
#include "collectors/kube/config.h"
#include "collectors/kube/rate_limiter.h"

namespace keelson::kube {

struct ClientOptions {
  double qps = 5;  // client-go's defaults
  double burst = 10;
  int max_attempts = 5;  // for retryable failures (5xx, 429, connection errors)
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{5000};
  int conflict_retries = 3;  // 409s on a scale patch: re-read and retry this many times
  // Wait before the n-th re-read after a 409: conflictBackoff * 5^(n-1) (10, 50, 250 ms), as
  // client-go's retry.DefaultBackoff for objects under active management by controllers: the
  // deployment controller's status updates move the resourceVersion for a while after a scale,
  // and immediate retries can all land inside that burst.
  std::chrono::milliseconds conflict_backoff{10};
  // When set, qps/burst are ignored and every client holding it shares its budget.
  std::shared_ptr<SharedRateLimiter> limiter = nullptr;
};

// Called after every HTTP exchange: verb ("GET", "PATCH"...) and status code (0 when no answer
// came: connection error). Feeds keelson_autoscaler_api_requests_total and the benchmark.
using RequestObserver = std::function<void(const std::string& verb, int code)>;

class KubeClient {
 public:
  KubeClient(ClusterConfig config, std::unique_ptr<http::HttpTransport> transport, Clock& clock,
             ClientOptions options = {});

  // Builds the Beast transport for `config`.
  static Result<std::unique_ptr<KubeClient>> create(const ClusterConfig& config, Clock& clock,
                                                    ClientOptions options = {});

  const ClusterConfig& config() const { return config_; }
  void setObserver(RequestObserver observer) { observer_ = std::move(observer); }

  // One request with rate limit and retries. `what` and `ns` name the resource for error
  // messages ("deployments/scale", "shop"). Returns the parsed JSON body (null for an empty one).
  Result<nlohmann::json> call(const std::string& verb, const std::string& path,
                              const std::string& body, const std::string& contentType,
                              const std::string& what, const std::string& ns);

  // One GET with rate limit, auth and retries of connection errors / 5xx, returning the raw
  // answer whatever its status (watch streams are newline-delimited JSON, not one document).
  // With `on_body`, a 2xx body is handed over as it arrives (http::HttpRequest::on_body) instead of
  // returned; a retried attempt starts the body again.
  Result<http::HttpResponse> getRaw(const std::string& path,
                                    const std::function<void(std::string_view)>& on_body = {});

  Result<Scale> getScale(const GroupVersionResource& gvr, const std::string& ns,
                         const std::string& name);

  // Sets spec.replicas through a merge patch guarded by resourceVersion; on 409 Conflict
  // waits (ClientOptions::conflict_backoff), re-reads the scale and retries with the fresh
  // resourceVersion (ClientOptions::conflict_retries times). `conflicts`, when given, counts the
  // 409s seen. Returns the scale as written.
  Result<Scale> setReplicas(const GroupVersionResource& gvr, const std::string& ns,
                            const std::string& name, int replicas,
                            const std::string& resourceVersion, int* conflicts = nullptr);

  // Pods matching a label selector (the scale's status.selector).
  Result<std::vector<PodInfo>> listPods(const std::string& ns, const std::string& selector);

  // Creates an Event (api.h eventBody) in its namespace.
  Status createEvent(const nlohmann::json& event);

  // Generic object access for leases and config maps: `gvr` + namespace + name.
  Result<nlohmann::json> getObject(const GroupVersionResource& gvr, const std::string& ns,
                                   const std::string& name);
  Result<nlohmann::json> createObject(const GroupVersionResource& gvr, const std::string& ns,
                                      const nlohmann::json& object);
  // PUT; the object's metadata.resourceVersion makes it conditional (409 when it moved).
  Result<nlohmann::json> replaceObject(const GroupVersionResource& gvr, const std::string& ns,
                                       const std::string& name, const nlohmann::json& object);

  std::uint64_t requests() const { return requests_; }

  // Thread-safe, irreversible (http::HttpTransport::cancel): the request in flight on the client's
  // thread ends promptly with "Cancelled", which is never retried, and so does every later one.
  // For a component's stop(); pair it with interrupting the Clock so no back-off sleep remains.
  void cancel() { transport_->cancel(); }

 private:
  Result<std::string> bearerToken();

  ClusterConfig config_;
  std::unique_ptr<http::HttpTransport> transport_;
  Clock& clock_;
  ClientOptions options_;
  std::shared_ptr<SharedRateLimiter> limiter_;
  RequestObserver observer_;
  std::uint64_t requests_ = 0;
};

}  // namespace keelson::kube
