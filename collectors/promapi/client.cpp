#include "collectors/promapi/client.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "collectors/http/url.h"

namespace keelson::promapi {
namespace {

using nlohmann::json;

std::optional<double> sampleValue(const json& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return std::nullopt;
  const std::string text = pair[1].get<std::string>();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

Result<std::vector<Sample>> parseQueryResponse(int httpStatus, const std::string& body) {
  if (httpStatus == 401 || httpStatus == 403) {
    return fail("Unauthorized", "Prometheus refused the request (HTTP " +
                                    std::to_string(httpStatus) +
                                    (httpStatus == 401 ? " Unauthorized" : " Forbidden") +
                                    "): check the credentials it was given");
  }
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail("BadResponse",
                "Prometheus answered HTTP " + std::to_string(httpStatus) + " without JSON");
  }
  if (doc.value("status", "") != "success") {
    return fail("QueryError", "Prometheus query failed (" + doc.value("errorType", "") +
                                  "): " + doc.value("error", ""));
  }
  // References, not json::value copies: the result array is by far the biggest part.
  static const json kNone;
  const auto dataIt = doc.find("data");
  const json& data = dataIt != doc.end() && dataIt->is_object() ? *dataIt : kNone;
  const std::string type = data.is_object() ? data.value("resultType", "") : "";
  const auto resultIt = data.is_object() ? data.find("result") : data.end();
  const json& result = data.is_object() && resultIt != data.end() ? *resultIt : kNone;
  std::vector<Sample> samples;
  if (type == "scalar") {
    if (auto value = sampleValue(result)) samples.push_back({{}, *value});
    return samples;
  }
  if (type != "vector") {
    return fail("QueryError",
                "query returned a " + type + ", expected an instant vector or scalar");
  }
  if (!result.is_array()) return samples;
  for (const json& series : result) {
    if (!series.is_object()) continue;
    const auto valueIt = series.find("value");
    auto value = valueIt != series.end() ? sampleValue(*valueIt) : std::nullopt;
    if (!value) continue;
    Sample sample;
    const auto metricIt = series.find("metric");
    if (metricIt != series.end() && metricIt->is_object()) {
      for (const auto& [key, label] : metricIt->items()) {
        if (label.is_string()) sample.labels[key] = label.get<std::string>();
      }
    }
    sample.value = *value;
    samples.push_back(std::move(sample));
  }
  return samples;
}

PromClient::PromClient(std::unique_ptr<http::HttpTransport> transport, std::string pathPrefix)
    : transport_(std::move(transport)), prefix_(std::move(pathPrefix)) {
  while (!prefix_.empty() && prefix_.back() == '/')
    prefix_.pop_back();
}

Result<std::unique_ptr<PromClient>> PromClient::create(const std::string& url) {
  auto parsed = http::parseUrl(url);
  if (!parsed) return fail("ConfigError", "--prometheus: " + parsed.error().message);
  http::TransportConfig tc;
  tc.scheme = parsed->scheme;
  tc.host = parsed->host;
  tc.port = parsed->port;
  tc.body_limit = kMaxResponseBytes;
  auto transport = http::makeBeastTransport(tc);
  if (!transport) return fail(transport.error());
  return std::make_unique<PromClient>(std::move(transport).value(), parsed->target);
}

Result<std::unique_ptr<PromClient>> PromClient::create(const http::ClientConfig& config) {
  auto transport = http::makeClientTransport(config, kMaxResponseBytes);
  if (!transport) return fail(transport.error());
  auto parsed = http::parseUrl(config.url);
  return std::make_unique<PromClient>(std::move(transport).value(), parsed->target);
}

Result<std::vector<Sample>> PromClient::query(const std::string& promql,
                                              std::optional<double> time) {
  http::HttpRequest request;
  request.method = "GET";
  request.target = prefix_ + "/api/v1/query?query=" + http::queryEscape(promql);
  if (time) request.target += "&time=" + std::to_string(*time);
  request.headers.emplace_back("Accept", "application/json");
  ++requests_;
  auto response = transport_->send(request);
  if (!response) return fail(response.error());
  return parseQueryResponse(response->status, response->body);
}

}  // namespace keelson::promapi
