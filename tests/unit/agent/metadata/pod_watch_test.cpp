#include "agent/metadata/pod_watch.h"

#include <gtest/gtest.h>

#include <deque>
#include <thread>
#include <vector>

#include "agent/metadata/api_up_collector.h"
#include "tests/unit/collectors/kube/scripted_transport.h"

namespace keelson::metadata {
namespace {

const char* kPod =
    R"({"metadata":{"name":"web-1","namespace":"shop","uid":"u1","resourceVersion":"5",
  "labels":{"app":"web"},"annotations":{"a":"b"},
  "ownerReferences":[{"kind":"ReplicaSet","name":"web-7d","controller":true}]},
  "spec":{"nodeName":"n1","initContainers":[{"name":"init","image":"busybox"}],
          "containers":[{"name":"app","image":"shop/web:1"}]},
  "status":{"containerStatuses":[{"name":"app","containerID":"containerd://abc",
    "image":"docker.io/shop/web:1","imageID":"docker.io/shop/web@sha256:0123"}]}})";

// One line, as the API server writes watch events.
std::string podLine() {
  return nlohmann::json::parse(kPod).dump();
}

PodMeta meta(const std::string& name, const std::string& uid) {
  PodMeta m;
  m.ns = "ns";
  m.name = name;
  m.uid = uid;
  return m;
}

TEST(ParsePod, ReadsTheFieldsTheAgentNeeds) {
  const auto pod = parsePod(nlohmann::json::parse(kPod));
  EXPECT_EQ(pod.ns, "shop");
  EXPECT_EQ(pod.name, "web-1");
  EXPECT_EQ(pod.uid, "u1");
  EXPECT_EQ(pod.labels.at("app"), "web");
  EXPECT_EQ(pod.annotations.at("a"), "b");
  EXPECT_EQ(pod.owner_kind, "ReplicaSet");
  EXPECT_EQ(pod.owner_name, "web-7d");
  EXPECT_EQ(pod.containers.at("app").id, "containerd://abc");
  EXPECT_EQ(pod.containers.at("app").image, "shop/web:1");  // the spec's, for the metrics
  EXPECT_EQ(pod.containers.at("app").status_image, "docker.io/shop/web:1");
  EXPECT_EQ(pod.containers.at("app").image_id, "docker.io/shop/web@sha256:0123");
  EXPECT_EQ(pod.containers.at("init").image, "busybox");
  EXPECT_EQ(pod.containers.at("init").id, "");
}

TEST(ParseWatchEvents, TypesBookmarksErrorsAndGarbage) {
  const std::string body =
      std::string(R"({"type":"ADDED","object":)") + podLine() + "}\n" +
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"9"}}})" + "\n" +
      "not json\n" +
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})" + "\n";
  int bad = 0;
  const auto events = parseWatchEvents(body, &bad);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(events[0].type, "ADDED");
  EXPECT_EQ(events[0].pod.uid, "u1");
  EXPECT_EQ(events[1].type, "BOOKMARK");
  EXPECT_EQ(events[1].resource_version, "9");
  EXPECT_EQ(events[2].type, "ERROR");
  EXPECT_EQ(events[2].code, 410);
}

// Fields of the wrong type read as absent: nlohmann's value()/get() throw on them, and an
// exception would end the watch thread (found by tests/fuzz/pod_watch_fuzz.cpp).
TEST(ParseWatchEvents, MistypedFieldsReadAsAbsentAndNeverThrow) {
  const std::vector<std::string> lines = {
      R"({"type":1,"object":{}})",
      R"({"type":"ADDED","object":5})",
      R"({"type":"ADDED","object":{"metadata":[]}})",
      R"({"type":"ADDED","object":{"metadata":{"name":5,"uid":{},"labels":[1]}}})",
      R"({"type":"ADDED","object":{"metadata":{"ownerReferences":{"a":1}}}})",
      R"({"type":"ADDED","object":{"metadata":{"ownerReferences":[{"controller":"yes"},3]}}})",
      R"({"type":"ADDED","object":{"spec":{"containers":[{"name":1,"image":[]}]},"status":5}})",
      R"({"type":"ERROR","object":{"code":"410"}})",
      R"({"type":"ERROR","object":{"code":1e300}})",
      R"({"type":"ERROR","object":{"code":-5}})",
      R"({"type":"ERROR","object":[]})",
  };
  std::string body;
  for (const auto& l : lines)
    body += l + "\n";
  int bad = 0;
  std::vector<WatchEvent> events;
  ASSERT_NO_THROW(events = parseWatchEvents(body, &bad));
  ASSERT_EQ(events.size(), lines.size());
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(events[0].type, "");
  EXPECT_EQ(events[3].pod.name, "");
  EXPECT_TRUE(events[3].pod.labels.empty());
  EXPECT_EQ(events[5].pod.owner_kind, "");
  EXPECT_EQ(events[6].pod.containers.at("").image, "");
  for (std::size_t i = 7; i < events.size(); ++i)
    EXPECT_EQ(events[i].code, 0) << lines[i];
  // A list whose items are not a list is not a PodList.
  EXPECT_FALSE(parsePodListMeta(R"({"items":5})").ok());
  EXPECT_FALSE(parsePodListMeta(R"({"items":{"a":{"metadata":{}}}})").ok());
  ASSERT_NO_THROW((void)parsePodListMeta(R"({"metadata":[],"items":[{"metadata":{"uid":1}}]})"));
}

TEST(PodsPath, SelectsTheNodeAndAsksForBookmarks) {
  EXPECT_EQ(podsPath("n1", "", false, 0), "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1");
  EXPECT_EQ(podsPath("n1", "42", true, 5),
            "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&resourceVersion=42&watch=true&"
            "allowWatchBookmarks=true&timeoutSeconds=5");
}

using keelson::testing::ScriptedTransport;

TEST(PodWatcher, ListWatchGoneRelist) {
  const std::string list =
      std::string(R"({"kind":"PodList","metadata":{"resourceVersion":"10"},"items":[)") + kPod +
      "]}";
  const std::string modified =
      std::string(R"({"type":"DELETED","object":)") + podLine() + "}\n" +
      R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})" + "\n";
  const std::string gone = R"({"type":"ERROR","object":{"kind":"Status","code":410}})";
  auto owned = std::make_unique<ScriptedTransport>(std::deque<Result<http::HttpResponse>>{
      http::HttpResponse{200, list}, http::HttpResponse{200, modified},
      http::HttpResponse{200, gone}, http::HttpResponse{200, list},
      http::HttpResponse{410, R"({"kind":"Status","code":410})"}, http::HttpResponse{200, list},
      fail("ConnectionError", "down")});
  auto* transport = owned.get();
  kube::ManualClock clock;
  kube::ClusterConfig config;
  kube::KubeClient client(config, std::move(owned), clock, kube::ClientOptions{1000, 1000, 1});
  PodCache cache;
  PodWatcher watcher(client, cache, clock, "n1");
  ApiUpCollector up(watcher);

  ASSERT_TRUE(watcher.step().ok());  // list
  EXPECT_EQ(watcher.resourceVersion(), "10");
  EXPECT_TRUE(cache.lookup("u1").has_value());
  EXPECT_EQ(up.Collect()[0].metric[0].gauge.value, 1);
  ASSERT_TRUE(watcher.step().ok());  // watch: deleted + bookmark
  EXPECT_FALSE(cache.lookup("u1").has_value());
  EXPECT_EQ(watcher.resourceVersion(), "12");
  EXPECT_NE(transport->targets[1].find("resourceVersion=10&watch=true"), std::string::npos);
  ASSERT_TRUE(watcher.step().ok());  // ERROR 410 event
  EXPECT_EQ(watcher.resourceVersion(), "");
  ASSERT_TRUE(watcher.step().ok());  // relist
  EXPECT_TRUE(cache.lookup("u1").has_value());
  ASSERT_TRUE(watcher.step().ok());  // HTTP 410
  ASSERT_TRUE(watcher.step().ok());  // relist again
  EXPECT_EQ(watcher.relists(), 3u);
  EXPECT_EQ(clock.slept().count(), 0);  // 410 relists without back-off
  EXPECT_FALSE(watcher.step().ok());    // connection down
  EXPECT_FALSE(watcher.apiUp());
  EXPECT_EQ(up.Collect()[0].metric[0].gauge.value, 0);
  EXPECT_FALSE(watcher.step().ok());  // backs off first
  EXPECT_GE(clock.slept().count(), 1000);
}

// Delivers a 2xx body through http::HttpRequest::on_body in 5-byte pieces, as the Beast transport
// does with a chunked watch, and records what the cache held before the last piece.
class StreamingTransport final : public http::HttpTransport {
 public:
  StreamingTransport(std::string body, const PodCache& cache)
      : body_(std::move(body)), cache_(cache) {}
  Result<http::HttpResponse> send(const http::HttpRequest& request) override {
    if (!request.on_body) return http::HttpResponse{200, body_};
    for (std::size_t at = 0; at < body_.size(); at += 5) {
      if (at + 5 >= body_.size()) cached_before_end = cache_.size();
      request.on_body(std::string_view(body_).substr(at, 5));
    }
    return http::HttpResponse{200, ""};
  }
  std::size_t cached_before_end = 0;

 private:
  std::string body_;
  const PodCache& cache_;
};

TEST(PodWatcher, StreamedEventsApplyAsTheirLinesArrive) {
  const std::string body = std::string(R"({"type":"ADDED","object":)") + podLine() + "}\n" +
                           R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})";
  PodCache cache;
  auto owned = std::make_unique<StreamingTransport>(body, cache);
  auto* transport = owned.get();
  kube::ManualClock clock;
  kube::KubeClient client(kube::ClusterConfig{}, std::move(owned), clock,
                          kube::ClientOptions{1000, 1000, 1});
  PodWatcher watcher(client, cache, clock, "n1");
  watcher.forceResourceVersion("10");  // straight to the watch
  ASSERT_TRUE(watcher.step().ok());
  EXPECT_EQ(transport->cached_before_end, 1u);  // the pod was there before the body ended
  EXPECT_TRUE(cache.lookup("u1").has_value());
  EXPECT_EQ(watcher.resourceVersion(), "12");  // the last line had no newline: still applied
}

TEST(PodCache, BoundedAndThreadSafe) {
  PodCache cache(2);
  for (int i = 0; i < 3; ++i)
    cache.upsert(meta("p", "u" + std::to_string(i)));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.dropped(), 1u);
  cache.erase("u0");
  cache.upsert(meta("p", "u2"));
  EXPECT_TRUE(cache.lookup("u2").has_value());
  std::thread reader([&] {
    for (int i = 0; i < 10000; ++i)
      (void)cache.lookup("u1");
  });
  for (int i = 0; i < 10000; ++i)
    cache.upsert(meta(std::to_string(i), "u1"));
  reader.join();
  EXPECT_EQ(cache.lookup("u1")->name, "9999");
}

}  // namespace
}  // namespace keelson::metadata
