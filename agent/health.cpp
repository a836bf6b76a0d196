#include "agent/health.h"

namespace keelson::agent {

void Health::addCheck(std::string name, std::function<bool()> check) {
  addCheck(std::move(name), [check = std::move(check)]() -> std::optional<std::string> {
    if (check()) return std::nullopt;
    return std::string();
  });
}

void Health::addCheck(std::string name, std::function<std::optional<std::string>()> check) {
  std::lock_guard lock(mu_);
  checks_.emplace_back(std::move(name), std::move(check));
}

http::Response Health::healthz() const {
  return {200, "text/plain; charset=utf-8", "ok\n"};
}

http::Response Health::readyz() const {
  if (!started_) return {503, "text/plain; charset=utf-8", "starting\n"};
  std::lock_guard lock(mu_);
  std::string failing;
  for (const auto& [name, check] : checks_) {
    std::optional<std::string> why;
    try {
      why = check();
    } catch (...) {
      why = "the check threw";
    }
    if (!why) continue;
    failing += "not ready: " + name;
    if (!why->empty()) failing += ": " + *why;
    failing += "\n";
  }
  if (!failing.empty()) return {503, "text/plain; charset=utf-8", failing};
  return {200, "text/plain; charset=utf-8", "ok\n"};
}

}  // namespace keelson::agent
