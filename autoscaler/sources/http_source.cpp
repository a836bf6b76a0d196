// Keelson's Http metric type: a plain HTTP(S) endpoint whose body is one number (a queue depth, a
// backlog, requests in flight), like KEDA's metrics-api scaler without the JSON path.
//
//   - type: Http
//     http:
//       url: http://queue-exporter.shop:8080/depth   # answers e.g. "42" or "42.5\n"
//       target: {type: AverageValue, averageValue: "10"}
//       activationThreshold: "0"                      # optional: wakes from zero above this
//       name: queue-depth                             # optional display name
//
// The number is the metric's total (Value or AverageValue, as External's). A non-2xx answer, a
// body that is not one finite number, or a body over 4 KiB makes the metric unavailable with a
// sentence naming the URL. The URL is fetched by the controller with its own network identity,
// so give policy authors the same trust as for a Prometheus query.
//
// The whole source is this file plus its line in registry.cpp.
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>

#include "autoscaler/policy/policy.h"
#include "autoscaler/policy/quantity.h"
#include "autoscaler/sources/registry.h"
#include "collectors/http/transport.h"
#include "collectors/http/url.h"

namespace keelson::sources {
namespace {

using engine::MetricObservation;

constexpr std::size_t kMaxBody = 4096;

inline constexpr policy::MetricTypeTraits kHttp{
    "Http",
    "http",
    /*keelsonOnly=*/true,
    /*perPod=*/false,
    /*canActivate=*/true,
    /*samplesAreTotals=*/false,
    policy::targetBit(policy::TargetType::Value) |
        policy::targetBit(policy::TargetType::AverageValue)};

struct HttpOptions final : policy::SourceOptions {
  std::string url;
};

// The URL checked as a policy field, or why not.
Result<http::Url> checkUrl(const std::string& url) {
  for (char c : url) {
    if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ') {
      return fail("InvalidUrl", "must not contain spaces or control characters");
    }
  }
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return fail("InvalidUrl", "must start with http:// or https://, got \"" + url + "\"");
  }
  auto parsed = http::parseUrl(url);
  if (!parsed) return fail("InvalidUrl", parsed.error().message);
  if (parsed->target.empty()) parsed->target = "/";
  return parsed;
}

}  // namespace

// The body of an Http endpoint as milli-units: one finite number, surrounding whitespace allowed.
Result<std::int64_t> parseNumberBody(const std::string& body) {
  if (body.size() > kMaxBody) {
    return fail("BadResponse",
                "the answer is " + std::to_string(body.size()) + " bytes; expected one number");
  }
  std::size_t begin = 0, end = body.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(body[begin])))
    ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(body[end - 1])))
    --end;
  const std::string text = body.substr(begin, end - begin);
  char* stop = nullptr;
  const double value = text.empty() ? NAN : std::strtod(text.c_str(), &stop);
  if (text.empty() || stop != text.c_str() + text.size() || !std::isfinite(value)) {
    std::string shown = text.substr(0, 40);
    for (auto& c : shown) {
      if (std::iscntrl(static_cast<unsigned char>(c))) c = '?';
    }
    return fail("BadResponse", "the answer is not one number: \"" + shown + "\"");
  }
  return policy::milliFromDouble(value);
}

namespace {

class HttpSource final : public MetricSource {
 public:
  explicit HttpSource(SourceContext& context) : context_(context) {}

  MetricObservation read(const policy::Policy&, const policy::MetricSpec& metric, const TargetPods&,
                         engine::Time) override {
    const auto* options = policy::optionsAs<HttpOptions>(metric);
    if (options == nullptr) return MetricObservation::unavailable("Http metric without a url");
    auto body = context_.http_get ? context_.http_get(options->url) : get(options->url);
    if (!body) return MetricObservation::unavailable(body.error().message);
    auto milli = parseNumberBody(*body);
    if (!milli) {
      return MetricObservation::unavailable("GET " + options->url + ": " + milli.error().message);
    }
    return MetricObservation::total(*milli);
  }

 private:
  // One kept-alive transport per origin.
  Result<std::string> get(const std::string& url) {
    auto parsed = checkUrl(url);
    if (!parsed) return fail(parsed.error());
    auto& transport =
        transports_[parsed->scheme + "://" + parsed->host + ":" + std::to_string(parsed->port)];
    if (!transport) {
      http::TransportConfig tc;
      tc.scheme = parsed->scheme;
      tc.host = parsed->host;
      tc.port = parsed->port;
      tc.timeout = std::chrono::seconds(5);
      auto created = http::makeBeastTransport(tc);
      if (!created) return fail(created.error());
      transport = std::move(created).value();
    }
    http::HttpRequest request;
    request.method = "GET";
    request.target = parsed->target;
    request.headers.emplace_back("Accept", "text/plain");
    auto response = transport->send(request);
    if (!response) return fail(response.error());
    if (response->status < 200 || response->status > 299) {
      return fail("BadStatus", "GET " + url + " answered HTTP " + std::to_string(response->status));
    }
    return std::move(response->body);
  }

  SourceContext& context_;
  std::map<std::string, std::unique_ptr<http::HttpTransport>> transports_;
};

void parseHttp(policy::MetricBodyReader& r, const YAML::Node& body, const std::string& p,
               std::size_t index, policy::MetricSpec& m) {
  if (!r.fields(body, p, {"url", "name", "target", "activationThreshold"})) return;
  m.name = r.string(body, "name", p, false).value_or("http" + std::to_string(index));
  if (auto url = r.string(body, "url", p, true)) {
    if (auto checked = checkUrl(*url); !checked) {
      r.error(body["url"], p + ".url " + checked.error().message);
    } else {
      auto options = std::make_shared<HttpOptions>();
      options->url = *url;
      m.options = std::move(options);
    }
  }
  r.target(body, p, m);
  if (auto a = r.quantity(body, "activationThreshold", p, false, false)) m.activation_milli = *a;
}

std::unique_ptr<MetricSource> create(SourceContext& context) {
  return std::make_unique<HttpSource>(context);
}

}  // namespace

MetricSourceRegistration httpSource() {
  return {{&kHttp, parseHttp, nullptr}, create};
}

}  // namespace keelson::sources
