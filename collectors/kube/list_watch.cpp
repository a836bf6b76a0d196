#include "collectors/kube/list_watch.h"

#include "collectors/kube/api.h"
#include "collectors/kube/rate_limiter.h"

namespace keelson::kube {

void LineSplitter::feed(std::string_view bytes, const std::function<void(std::string_view)>& line) {
  for (std::size_t nl; (nl = bytes.find('\n')) != std::string_view::npos;) {
    if (partial_.empty()) {
      line(bytes.substr(0, nl));
    } else {
      partial_.append(bytes.substr(0, nl));
      line(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
  partial_.append(bytes);
}

void LineSplitter::finish(const std::function<void(std::string_view)>& line) {
  if (!partial_.empty()) line(partial_);
  partial_.clear();
}

std::string watchPath(const std::string& listPath, const std::string& resourceVersion,
                      int timeoutSeconds) {
  const char sep = listPath.find('?') == std::string::npos ? '?' : '&';
  return listPath + sep + "resourceVersion=" + queryEscape(resourceVersion) +
         "&watch=true&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeoutSeconds);
}

ListWatch::ListWatch(KubeClient& client, Clock& clock, std::string listPath, std::string what,
                     WatchSink& sink, int watchTimeoutSeconds)
    : client_(client),
      clock_(clock),
      list_path_(std::move(listPath)),
      what_(std::move(what)),
      sink_(sink),
      watch_timeout_seconds_(watchTimeoutSeconds) {}

Status ListWatch::step() {
  if (failures_ > 0) {
    clock_.sleepFor(backoffDelay(failures_ - 1, std::chrono::seconds(1), std::chrono::seconds(30)));
  }
  Status st = resource_version_.empty() ? list() : watch();
  failures_ = st ? 0 : failures_ + 1;
  return st;
}

Status ListWatch::list() {
  auto response = client_.getRaw(list_path_);
  if (!response) return fail(response.error());
  if (response->status != 200) {
    return fail(apiError(response->status, response->body, "list", what_, ""));
  }
  auto rv = sink_.replace(response->body);
  if (!rv) return fail(rv.error());
  resource_version_ = *rv;
  ++lists_;
  synced_ = true;
  return {};
}

Status ListWatch::watch() {
  LineSplitter lines;
  Status outcome;
  bool ended = false;  // an ERROR event: whatever follows is ignored
  const auto apply = [&](std::string_view line) {
    if (ended) return;
    auto rv = sink_.apply(line);
    if (!rv) {
      ended = true;
      resource_version_.clear();  // relist next; without back-off for a 410
      if (rv.error().reason != "Gone") outcome = fail(rv.error());
      return;
    }
    if (!rv->empty()) resource_version_ = *rv;
  };
  auto response = client_.getRaw(watchPath(list_path_, resource_version_, watch_timeout_seconds_),
                                 [&](std::string_view bytes) { lines.feed(bytes, apply); });
  if (!response) return fail(response.error());
  if (response->status == 410) {
    resource_version_.clear();  // too old: relist at the next step, without back-off
    return {};
  }
  if (response->status != 200) {
    resource_version_.clear();
    return fail(apiError(response->status, response->body, "watch", what_, ""));
  }
  lines.feed(response->body, apply);  // a transport that does not stream returns the whole body
  lines.finish(apply);
  return outcome;
}

}  // namespace keelson::kube
