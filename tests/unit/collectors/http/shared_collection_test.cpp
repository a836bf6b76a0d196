#include "collectors/http/shared_collection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace keelson::http {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  SharedCollection::Clock::time_point t{};
  std::function<SharedCollection::Clock::time_point()> fn() {
    return [this] { return t; };
  }
};

SharedCollection::Options interval(SharedCollection::Clock::duration d) {
  SharedCollection::Options o;
  o.min_interval = d;
  return o;
}

TEST(SharedCollectionTest, ServesTheLastResultWithinTheMinimumInterval) {
  FakeClock clock;
  int n = 0;
  std::size_t last_hint = 99;
  SharedCollection c(
      [&](std::size_t hint) {
        last_hint = hint;
        return "collection " + std::to_string(++n);
      },
      interval(1s), clock.fn());
  auto first = c.get();
  EXPECT_EQ(*first, "collection 1");
  EXPECT_EQ(last_hint, 0u);
  clock.t += 999ms;
  EXPECT_EQ(c.get(), first);  // the same buffer, not a copy
  first.reset();
  clock.t += 1ms;
  EXPECT_EQ(*c.get(), "collection 2");
  EXPECT_EQ(last_hint, std::string("collection 1").size());
  EXPECT_EQ(c.collections(), 2u);
  EXPECT_EQ(c.shared(), 1u);
}

// A scrape arriving while a collection runs waits for it and shares its result, even with no
// minimum interval.
TEST(SharedCollectionTest, ConcurrentCallersShareOneCollection) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, release = false;
  SharedCollection c(
      [&](std::size_t) {
        std::unique_lock lock(mu);
        started = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return std::string("body");
      },
      interval(0s), clock.fn());
  auto first = std::async(std::launch::async, [&] { return c.get(); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return started; });
  }
  auto second = std::async(std::launch::async, [&] { return c.get(); });
  auto third = std::async(std::launch::async, [&] { return c.get(); });
  while (c.waiting() < 2)
    std::this_thread::yield();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  const auto a = first.get();
  EXPECT_EQ(second.get(), a);
  EXPECT_EQ(third.get(), a);
  EXPECT_EQ(c.collections(), 1u);
  EXPECT_EQ(c.shared(), 2u);
}

// While an older result is still referenced (a client reading it slowly), a due collection is
// held back: at most two results exist at once, however many slow clients there are.
TEST(SharedCollectionTest, HoldsBackWhileOlderResultsAreReferenced) {
  FakeClock clock;
  int n = 0;
  SharedCollection c([&](std::size_t) { return std::to_string(++n); }, interval(1s), clock.fn());
  auto slow_reader = c.get();  // "1"
  clock.t += 2s;
  auto second = c.get();  // "2": "1" is now older and still referenced
  EXPECT_EQ(*second, "2");
  clock.t += 2s;
  EXPECT_EQ(c.get(), second);  // due, but "1" + "2" + a new one would be three
  EXPECT_EQ(c.held_back(), 1u);
  slow_reader.reset();
  EXPECT_EQ(*c.get(), "3");
  EXPECT_EQ(c.collections(), 3u);
}

TEST(SharedCollectionTest, AFailedCollectionIsRetried) {
  FakeClock clock;
  int n = 0;
  SharedCollection c(
      [&](std::size_t) -> std::string {
        if (++n == 1) throw std::runtime_error("walk failed");
        return "ok";
      },
      interval(1s), clock.fn());
  EXPECT_THROW(c.get(), std::runtime_error);
  EXPECT_EQ(*c.get(), "ok");
  EXPECT_EQ(c.collections(), 1u);
}

// With release_when_due the cache lets go of the result once the interval has passed (nothing is
// kept between scrapes); a connection still writing it keeps its own reference.
TEST(SharedCollectionTest, ReleasesTheResultWhenDue) {
  SharedCollection::Options o;
  o.min_interval = 20ms;
  o.release_when_due = true;
  int n = 0;
  std::size_t hint = 99;
  SharedCollection c(
      [&](std::size_t size_hint) {
        hint = size_hint;
        return std::to_string(++n);
      },
      o);
  auto writer = c.get();
  const std::weak_ptr<const std::string> weak = writer;
  EXPECT_TRUE(c.cached());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.cached() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(c.cached());
  EXPECT_EQ(*writer, "1");
  // Released but still being written: the next collection may run (two alive), the one after
  // must share it rather than make a third.
  auto second = c.get();
  EXPECT_EQ(*second, "2");
  EXPECT_EQ(hint, 1u);  // the released result's size: a 16 MB exposition is reserved, not doubled
  const auto deadline2 = std::chrono::steady_clock::now() + 10s;
  while (c.cached() && std::chrono::steady_clock::now() < deadline2) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(c.get(), second);
  EXPECT_EQ(c.held_back(), 1u);
  second.reset();
  writer.reset();
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(*c.get(), "3");
}

}  // namespace
}  // namespace keelson::http
