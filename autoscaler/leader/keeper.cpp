#include "autoscaler/leader/keeper.h"

namespace keelson::leader {

LeaseKeeper::LeaseKeeper(ElectionConfig config, LeaseStore& store, kube::Clock& clock,
                         std::chrono::milliseconds state_interval)
    : elector_(config, store),
      shards_(store, config.ns, config.name),
      clock_(clock),
      config_(std::move(config)),
      state_interval_(state_interval) {}

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
  bool renew = false;
  bool write = false;
  {
    std::lock_guard lock(mu_);
    renew = !stepped_ || now >= elector_.nextStep();
    write = state_version_ != written_version_ && (write_now_ || now >= next_state_write_);
    if (!renew && !write && !loading_) return;
    write_now_ = false;
  }
  // The API calls run without the lock: the loop's isLeader() never waits for the network.
  bool holding = elector_.isLeader(now);
  if (renew) {
    holding = elector_.step(now);
    if (auto legacy = elector_.takeAcquiredState()) {
      loading_ = true;
      legacy_state_ = std::move(*legacy);
    }
  }
  std::optional<PersistedState> loaded;
  std::string state_error;
  if (holding && loading_) {
    auto read = shards_.load();
    if (read) {
      // The old single annotation first: what the shards hold is newer.
      PersistedState merged;
      (void)parseShard(config_.ns + "/" + config_.name, legacy_state_, merged);
      for (auto& [key, history] : *read)
        merged[key] = std::move(history);
      loaded = std::move(merged);
      loading_ = false;
      legacy_state_.clear();
    } else {
      state_error = read.error().message;
    }
  }
  PersistedState to_write;
  std::uint64_t version = 0;
  if (holding && !loading_ && write && !loaded) {
    std::lock_guard lock(mu_);
    to_write = state_;
    version = state_version_;
  }
  std::optional<Result<ShardedState::Written>> written;
  if (version != 0) written = shards_.write(to_write);
  std::lock_guard lock(mu_);
  stepped_ = true;
  if (loaded) {
    ++term_;
    acquired_ = std::move(loaded);
    state_ = *acquired_;
    state_version_ = written_version_ = 0;
    state_error_.clear();
  }
  if (written) {
    next_state_write_ = now + state_interval_;
    if (*written) {
      written_version_ = version;
      state_left_out_ = (*written)->left_out;
      state_shards_ = (*written)->shards;
      state_error_.clear();
    } else {
      state_error_ = written->error().message;
    }
  }
  if (!state_error.empty()) state_error_ = state_error;
  // Holding the Lease without the persisted state read is not leading yet.
  leader_until_ =
      holding && !loading_ ? elector_.lastRenew() + config_.renew_deadline : TimePoint{};
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
  view.state_error = state_error_;
  view.state_left_out = state_left_out_;
  view.state_shards = state_shards_;
  return view;
}

bool LeaseKeeper::isLeader(TimePoint now, std::uint64_t term) const {
  std::lock_guard lock(mu_);
  return term != 0 && term == term_ && now < leader_until_;
}

void LeaseKeeper::publish(PersistedState state, std::uint64_t term, bool writeNow) {
  {
    std::lock_guard lock(mu_);
    if (term == 0 || term != term_) return;
    if (state == state_) return;
    state_ = std::move(state);
    ++state_version_;
    if (!writeNow) return;
    write_now_ = true;
  }
  wake_.notify_all();
}

}  // namespace keelson::leader
