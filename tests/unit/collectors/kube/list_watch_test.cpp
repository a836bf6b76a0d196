// The shared list+watch (collectors/kube/list_watch.h): line splitting, the watch path, and the
// reflector's decisions (list, watch from the resourceVersion, bookmarks, 410 relist without
// back-off, errors back off and relist) with a recording sink and a scripted transport.
#include "collectors/kube/list_watch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "tests/unit/collectors/kube/scripted_transport.h"

namespace keelson::kube {
namespace {

using keelson::testing::ScriptedTransport;

TEST(LineSplitter, LinesAcrossPiecesAndTheUnterminatedLast) {
  struct Case {
    std::vector<std::string> pieces;
    std::vector<std::string> lines;
  };
  const Case cases[] = {
      {{"a\nb\n"}, {"a", "b"}},       {{"a", "b\nc", "\n"}, {"ab", "c"}},
      {{"a\n", "", "b"}, {"a", "b"}},  // the last line has no newline: finish() gives it
      {{"\n\n"}, {"", ""}},           {{}, {}},
  };
  for (const auto& c : cases) {
    LineSplitter splitter;
    std::vector<std::string> got;
    const auto line = [&](std::string_view l) { got.emplace_back(l); };
    for (const auto& piece : c.pieces)
      splitter.feed(piece, line);
    splitter.finish(line);
    EXPECT_EQ(got, c.lines);
  }
}

TEST(WatchPath, AddsTheWatchParametersToAnyListPath) {
  EXPECT_EQ(watchPath("/apis/keelson.io/v1/scalingpolicies", "7", 5),
            "/apis/keelson.io/v1/scalingpolicies?resourceVersion=7&watch=true&"
            "allowWatchBookmarks=true&timeoutSeconds=5");
  EXPECT_EQ(watchPath("/api/v1/pods?fieldSelector=a%3Db", "1 2", 30),
            "/api/v1/pods?fieldSelector=a%3Db&resourceVersion=1%202&watch=true&"
            "allowWatchBookmarks=true&timeoutSeconds=30");
}

// Records what it is given; a line "gone" or "error" is an ERROR event, "rv=N" an event at N.
class RecordingSink final : public WatchSink {
 public:
  Result<std::string> replace(std::string_view body) override {
    calls.push_back("list " + std::string(body));
    if (body == "bad") return fail("BadResponse", "not a list");
    return std::string(body.substr(body.find('=') + 1));
  }
  Result<std::string> apply(std::string_view line) override {
    calls.push_back("event " + std::string(line));
    if (line == "gone") return fail("Gone", "too old");
    if (line == "error") return fail("WatchError", "watch ended with error code 500");
    if (line.starts_with("rv=")) return std::string(line.substr(3));
    return std::string();
  }
  std::vector<std::string> calls;
};

struct Rig {
  explicit Rig(std::deque<Result<http::HttpResponse>> script) {
    auto owned = std::make_unique<ScriptedTransport>(std::move(script));
    transport = owned.get();
    client = std::make_unique<KubeClient>(ClusterConfig{}, std::move(owned), clock,
                                          ClientOptions{1000, 1000, 1});
    watch = std::make_unique<ListWatch>(*client, clock, "/api/v1/things", "things", sink);
  }
  ManualClock clock;
  RecordingSink sink;
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<KubeClient> client;
  std::unique_ptr<ListWatch> watch;
};

TEST(ListWatch, ListThenWatchFromItsVersionAndBookmarksMoveIt) {
  Rig rig({http::HttpResponse{200, "list rv=10"}, http::HttpResponse{200, "rv=11\nnoise\nrv=12"},
           http::HttpResponse{200, ""}});
  EXPECT_FALSE(rig.watch->synced());
  ASSERT_TRUE(rig.watch->step().ok());
  EXPECT_TRUE(rig.watch->synced());
  EXPECT_EQ(rig.watch->resourceVersion(), "10");
  ASSERT_TRUE(rig.watch->step().ok());
  EXPECT_EQ(rig.watch->resourceVersion(), "12");
  ASSERT_TRUE(rig.watch->step().ok());  // a quiet window
  EXPECT_EQ(rig.transport->targets,
            (std::vector<std::string>{"/api/v1/things", watchPath("/api/v1/things", "10", 5),
                                      watchPath("/api/v1/things", "12", 5)}));
  EXPECT_EQ(rig.sink.calls, (std::vector<std::string>{"list list rv=10", "event rv=11",
                                                      "event noise", "event rv=12"}));
  EXPECT_EQ(rig.watch->relists(), 1u);
  EXPECT_EQ(rig.clock.slept().count(), 0);
}

TEST(ListWatch, GoneRelistsAtOnceWithoutBackOff) {
  Rig rig({http::HttpResponse{200, "list rv=1"}, http::HttpResponse{200, "rv=2\ngone\nrv=3"},
           http::HttpResponse{200, "list rv=5"}, http::HttpResponse{410, "{}"},
           http::HttpResponse{200, "list rv=6"}});
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(rig.watch->step().ok()) << i;
  EXPECT_EQ(rig.watch->relists(), 3u);
  EXPECT_EQ(rig.watch->resourceVersion(), "6");
  // What followed the ERROR event in its window was ignored.
  EXPECT_EQ(std::count(rig.sink.calls.begin(), rig.sink.calls.end(), "event rv=3"), 0);
  EXPECT_EQ(rig.clock.slept().count(), 0);
}

TEST(ListWatch, FailuresBackOffDoublingAndRelist) {
  Rig rig({http::HttpResponse{200, "list rv=1"}, http::HttpResponse{200, "error"},
           http::HttpResponse{500, R"({"kind":"Status","message":"boom"})"},
           fail("ConnectionError", "down"), http::HttpResponse{200, "bad"},
           http::HttpResponse{200, "list rv=9"}});
  ASSERT_TRUE(rig.watch->step().ok());
  auto st = rig.watch->step();  // an ERROR event other than 410
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, "WatchError");
  EXPECT_EQ(rig.watch->resourceVersion(), "");
  EXPECT_FALSE(rig.watch->step().ok());  // the relist answers 500 (after 1 s)
  EXPECT_EQ(rig.clock.slept().count(), 1000);
  EXPECT_FALSE(rig.watch->step().ok());  // connection down (after 2 s)
  EXPECT_EQ(rig.clock.slept().count(), 3000);
  EXPECT_FALSE(rig.watch->step().ok());  // a body that is not a list (after 4 s)
  EXPECT_EQ(rig.clock.slept().count(), 7000);
  ASSERT_TRUE(rig.watch->step().ok());  // (after 8 s) listed again
  EXPECT_EQ(rig.clock.slept().count(), 15000);
  EXPECT_EQ(rig.watch->resourceVersion(), "9");
  EXPECT_EQ(rig.transport->targets[2], "/api/v1/things");  // relists, never watches from ""
}

}  // namespace
}  // namespace keelson::kube
