#include "autoscaler/leader/keeper.h"

namespace keelson::leader {

LeaseKeeper::LeaseKeeper(ElectionConfig config, LeaseStore& store, kube::Clock& clock)
    : elector_(config, store), clock_(clock), config_(std::move(config)) {}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void LeaseKeeper::run() {
  for (;;) {
    stepIfDue();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(100),
                   [this] { return stopping_ || write_now_; });
    if (stopping_) return;
  }
}

void LeaseKeeper::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  elector_.release(clock_.wallNow());
  std::lock_guard lock(mu_);
  leader_until_ = TimePoint{};
}

void LeaseKeeper::stepIfDue() {
  const TimePoint now = clock_.wallNow();
  std::string state;
  {
    std::lock_guard lock(mu_);
    if (!write_now_ && stepped_ && now < elector_.nextStep()) return;
    write_now_ = false;
    state = state_;
  }
  // The API call runs without the lock: the loop's isLeader() never waits for the network.
  const bool leading = elector_.step(now, state);
  auto acquired = elector_.takeAcquiredState();
  std::lock_guard lock(mu_);
  stepped_ = true;
  if (acquired) {
    ++term_;
    // Until the loop has loaded it and published its own, renews write back what was found.
    state_ = *acquired;
    acquired_ = std::move(acquired);
  }
  leader_until_ = leading ? elector_.lastRenew() + config_.renew_deadline : TimePoint{};
  last_error_ = elector_.lastError();
}

LeaseKeeper::View LeaseKeeper::poll(TimePoint now) {
  std::lock_guard lock(mu_);
  View view;
  view.stepped = stepped_;
  view.term = term_;
  view.leading = term_ != 0 && now < leader_until_;
  view.acquired_state = std::move(acquired_);
  acquired_.reset();
  view.last_error = last_error_;
  return view;
}

bool LeaseKeeper::isLeader(TimePoint now, std::uint64_t term) const {
  std::lock_guard lock(mu_);
  return term != 0 && term == term_ && now < leader_until_;
}

void LeaseKeeper::publish(std::string state, std::uint64_t term, bool writeNow) {
  {
    std::lock_guard lock(mu_);
    if (term == 0 || term != term_) return;
    state_ = std::move(state);
    if (!writeNow) return;
    write_now_ = true;
  }
  wake_.notify_all();
}

}  // namespace keelson::leader
