#include "collectors/kube/client.h"

#include "collectors/common/file.h"

namespace keelson::kube {
namespace {

using nlohmann::json;

// The last line of defence against header injection: nothing with a control character is sent,
// whatever a caller passed (paths are built with resourcePath, which encodes them).
Status checkRequest(const http::HttpRequest& request) {
  if (auto bad = unsafeRequestText(request.target)) {
    return fail("InvalidRequest", "refusing to send a request whose target " + *bad);
  }
  for (const auto& [name, value] : request.headers) {
    if (unsafeRequestText(name) || unsafeRequestText(value)) {
      // The value may be a credential: name the header, never print the value.
      return fail("InvalidRequest",
                  "refusing to send a request whose " + name + " header holds a control character");
    }
  }
  return {};
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

KubeClient::KubeClient(ClusterConfig config, std::unique_ptr<http::HttpTransport> transport,
                       Clock& clock, ClientOptions options)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      clock_(clock),
      options_(options),
      limiter_(options.limiter ? options.limiter
                               : std::make_shared<SharedRateLimiter>(options.qps, options.burst)) {}

Result<std::unique_ptr<KubeClient>> KubeClient::create(const ClusterConfig& config, Clock& clock,
                                                       ClientOptions options) {
  http::TransportConfig tc;
  tc.scheme = config.scheme;
  tc.host = config.host;
  tc.port = config.port;
  tc.ca_pem = config.ca_pem;
  tc.insecure_skip_verify = config.insecure_skip_verify;
  tc.client_cert_pem = config.client_cert_pem;
  tc.client_key_pem = config.client_key_pem;
  auto transport = http::makeBeastTransport(tc);
  if (!transport) return fail(transport.error());
  return std::make_unique<KubeClient>(config, std::move(transport).value(), clock, options);
}

Result<std::string> KubeClient::bearerToken() {
  if (config_.token_file.empty()) return config_.token;
  auto token = readSmallFile(config_.token_file);
  if (!token) {
    return fail("Unauthorized",
                "cannot read token file " + config_.token_file + ": " + token.error().message);
  }
  return trim(std::move(token).value());
}

Result<json> KubeClient::call(const std::string& verb, const std::string& path,
                              const std::string& body, const std::string& contentType,
                              const std::string& what, const std::string& ns) {
  Error last{"ConnectionError", "no attempt made"};
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      clock_.sleepFor(backoffDelay(attempt - 1, options_.backoff_base, options_.backoff_cap));
    }
    if (const auto wait = limiter_->take(clock_.now()); wait.count() > 0) clock_.sleepFor(wait);
    auto token = bearerToken();
    if (!token) return fail(token.error());
    http::HttpRequest request;
    request.method = verb;
    request.target = path;
    request.headers.emplace_back("Accept", "application/json");
    if (!token->empty()) request.headers.emplace_back("Authorization", "Bearer " + *token);
    if (!contentType.empty()) request.headers.emplace_back("Content-Type", contentType);
    request.body = body;
    if (auto st = checkRequest(request); !st) return fail(st.error());
    ++requests_;
    auto response = transport_->send(request);
    if (!response) {
      if (observer_) observer_(verb, 0);
      if (response.error().reason == "Cancelled") return fail(response.error());
      last = response.error();
      continue;
    }
    if (observer_) observer_(verb, response->status);
    if (response->status >= 200 && response->status < 300) {
      if (response->body.empty()) return json();
      json doc = json::parse(response->body, nullptr, false);
      if (doc.is_discarded()) {
        return fail("BadResponse", verb + " " + path + ": the answer is not JSON");
      }
      return doc;
    }
    last = apiError(response->status, response->body,
                    verb == "PATCH"  ? "patch"
                    : verb == "POST" ? "create"
                    : verb == "PUT"  ? "update"
                    : verb == "GET"  ? "get"
                                     : verb,
                    what, ns);
    if (!retryableStatus(response->status)) return fail(last);
  }
  return fail(last);
}

Result<http::HttpResponse> KubeClient::getRaw(
    const std::string& path, const std::function<void(std::string_view)>& on_body) {
  Error last{"ConnectionError", "no attempt made"};
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      clock_.sleepFor(backoffDelay(attempt - 1, options_.backoff_base, options_.backoff_cap));
    }
    if (const auto wait = limiter_->take(clock_.now()); wait.count() > 0) clock_.sleepFor(wait);
    auto token = bearerToken();
    if (!token) return fail(token.error());
    http::HttpRequest request;
    request.method = "GET";
    request.target = path;
    request.headers.emplace_back("Accept", "application/json");
    if (!token->empty()) request.headers.emplace_back("Authorization", "Bearer " + *token);
    request.on_body = on_body;
    if (auto st = checkRequest(request); !st) return fail(st.error());
    ++requests_;
    auto response = transport_->send(request);
    if (observer_) observer_("GET", response ? response->status : 0);
    if (!response) {
      if (response.error().reason == "Cancelled") return fail(response.error());
      last = response.error();
      continue;
    }
    if (retryableStatus(response->status)) {
      last = apiError(response->status, response->body, "get", path, "");
      continue;
    }
    return response;
  }
  return fail(last);
}

Result<Scale> KubeClient::getScale(const GroupVersionResource& gvr, const std::string& ns,
                                   const std::string& name) {
  auto doc = call("GET", resourcePath(gvr, ns, name, "scale"), "", "", gvr.resource + "/scale", ns);
  if (!doc) return fail(doc.error());
  return parseScale(doc->dump());
}

Result<Scale> KubeClient::setReplicas(const GroupVersionResource& gvr, const std::string& ns,
                                      const std::string& name, int replicas,
                                      const std::string& resourceVersion, int* conflicts) {
  std::string version = resourceVersion;
  for (int round = 0;; ++round) {
    auto doc =
        call("PATCH", resourcePath(gvr, ns, name, "scale"), scalePatchBody(replicas, version),
             "application/merge-patch+json", gvr.resource + "/scale", ns);
    if (doc) return parseScale(doc->dump());
    if (doc.error().reason != "Conflict" || round >= options_.conflict_retries) {
      return fail(doc.error());
    }
    if (conflicts) ++*conflicts;
    auto wait = options_.conflict_backoff;
    for (int i = 0; i < round; ++i)
      wait *= 5;
    clock_.sleepFor(wait);
    auto fresh = getScale(gvr, ns, name);
    if (!fresh) return fail(fresh.error());
    if (fresh->spec_replicas == replicas) return fresh;
    version = fresh->resource_version;
  }
}

Result<std::vector<PodInfo>> KubeClient::listPods(const std::string& ns,
                                                  const std::string& selector) {
  std::string path = resourcePath({"", "v1", "pods"}, ns);
  if (!selector.empty()) path += "?labelSelector=" + queryEscape(selector);
  auto doc = call("GET", path, "", "", "pods", ns);
  if (!doc) return fail(doc.error());
  return parsePodList(doc->dump());
}

Status KubeClient::createEvent(const json& event) {
  const std::string ns = event.value("metadata", json::object()).value("namespace", "default");
  auto doc = call("POST", resourcePath({"", "v1", "events"}, ns), event.dump(), "application/json",
                  "events", ns);
  if (!doc) return fail(doc.error());
  return {};
}

Result<json> KubeClient::getObject(const GroupVersionResource& gvr, const std::string& ns,
                                   const std::string& name) {
  return call("GET", resourcePath(gvr, ns, name), "", "", gvr.resource, ns);
}

Result<json> KubeClient::createObject(const GroupVersionResource& gvr, const std::string& ns,
                                      const json& object) {
  return call("POST", resourcePath(gvr, ns), object.dump(), "application/json", gvr.resource, ns);
}

Result<json> KubeClient::replaceObject(const GroupVersionResource& gvr, const std::string& ns,
                                       const std::string& name, const json& object) {
  return call("PUT", resourcePath(gvr, ns, name), object.dump(), "application/json", gvr.resource,
              ns);
}

}  // namespace keelson::kube
