// An HTTP transport that answers from a script, in order, and records what was sent: the
// Kubernetes client, its list+watch and their users tested without a network. A test seam of
// our own client, not a fake of the API server (that is tests/peers/kube).
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "collectors/http/transport.h"

namespace keelson::testing {

class ScriptedTransport final : public http::HttpTransport {
 public:
  explicit ScriptedTransport(std::deque<Result<http::HttpResponse>> script)
      : script_(std::move(script)) {}
  Result<http::HttpResponse> send(const http::HttpRequest& request) override {
    sent.push_back(request);
    targets.push_back(request.target);
    if (script_.empty()) return fail("ConnectionError", "script exhausted");
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }
  std::vector<http::HttpRequest> sent;
  std::vector<std::string> targets;

 private:
  std::deque<Result<http::HttpResponse>> script_;
};

}  // namespace keelson::testing
