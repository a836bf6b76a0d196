#include "collectors/http/shared_collection.h"

#include <algorithm>

namespace keelson::http {

SharedCollection::SharedCollection(Collect collect, Options options,
                                   std::function<Clock::time_point()> now)
    : collect_(std::move(collect)), options_(options), now_(std::move(now)) {
  if (options_.max_alive < 2) options_.max_alive = 2;  // the current one and the next
  if (options_.release_when_due) {
    releaser_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!stopping_) {
        if (!current_) {
          release_.wait(lock);
          continue;
        }
        const auto due = collected_at_ + options_.min_interval;
        if (Clock::now() < due) {
          release_.wait_until(lock, due);
          continue;
        }
        // Writers still holding it keep it alive; it counts against max_alive meanwhile.
        older_.push_back(current_);
        current_.reset();
      }
    });
  }
}

SharedCollection::~SharedCollection() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  release_.notify_all();
  if (releaser_.joinable()) releaser_.join();
}

std::shared_ptr<const std::string> SharedCollection::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (running_) {
      // Wait for the running collection and share it, however old the request makes it.
      const auto generation = generation_;
      ++waiting_;
      done_.wait(lock, [&] { return !running_; });
      --waiting_;
      if (generation_ != generation && current_) {
        ++shared_;
        return current_;
      }
      continue;  // it failed: try again (possibly collecting ourselves)
    }
    if (current_ && now_() - collected_at_ < options_.min_interval) {
      ++shared_;
      return current_;
    }
    older_.erase(
        std::remove_if(older_.begin(), older_.end(), [](const auto& w) { return w.expired(); }),
        older_.end());
    // After a collection: the older results still referenced, the current one (now older) and
    // the new one.
    if ((current_ ? 2 : 1) + older_.size() > options_.max_alive) {
      auto newest = current_ ? current_ : older_.back().lock();
      if (newest) {
        ++shared_;
        ++held_back_;
        return newest;
      }
    }
    running_ = true;
    const std::size_t hint = last_size_;  // also after the result was released
    lock.unlock();
    std::string body;
    try {
      body = collect_(hint);
    } catch (...) {
      lock.lock();
      running_ = false;
      done_.notify_all();
      throw;
    }
    auto result = std::make_shared<const std::string>(std::move(body));
    lock.lock();
    if (current_) older_.push_back(current_);
    current_ = result;
    last_size_ = result->size();
    collected_at_ = now_();
    running_ = false;
    ++generation_;
    ++collections_;
    done_.notify_all();
    release_.notify_all();
    return result;
  }
}

std::uint64_t SharedCollection::collections() const {
  std::lock_guard lock(mu_);
  return collections_;
}

std::uint64_t SharedCollection::shared() const {
  std::lock_guard lock(mu_);
  return shared_;
}

std::uint64_t SharedCollection::held_back() const {
  std::lock_guard lock(mu_);
  return held_back_;
}

bool SharedCollection::cached() const {
  std::lock_guard lock(mu_);
  return current_ != nullptr;
}

std::size_t SharedCollection::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace keelson::http
