// Where the controller's persisted state lives: the engine history of every policy (stabilization
// recommendations, scale events, fallback counters; engine::historyToJson), split over a few
// coordination.k8s.io/v1 Lease objects beside the election Lease, named `<lease>-state-<i>`
// (i = 0..kMaxShards-1), each carrying its part in the annotation keelson.io/autoscaler-state.
//
// Why Leases, and why split: the state is only worth keeping if a successor finds it after a
// failover, so it lives in the API server next to the lock, written only by the leader (the keeper
// writes shards only while its renews succeed, each write conditional on the shard's
// resourceVersion). An object's annotations may hold at most 256 KiB in all (the API server's
// ObjectMeta validation), and 1,000 policies at a 15 s period with a 300 s window hold about
// 0.5 MiB of history; one annotation rewritten with every 2 s renew would be refused, and would
// cost the API server a large write every 2 s. So the state is split by a stable hash of the
// policy key into 1, 2, 4, 8 or 16 shards of at most kMaxShardBytes each (the fewest that fit),
// and a shard is written only when its text changed, at most every state interval (10 s) or at
// once after a scale. Leases rather than ConfigMaps: the Role already grants Leases by name, no
// controller watches them, and nothing else is stored in them. The names are fixed, so RBAC can
// grant exactly them (resourceNames).
//
// Pure part (planShards, shardIndex, parseShard) tested by tables; ShardedState does the I/O
// through LeaseStore.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "autoscaler/leader/elector.h"
#include "collectors/common/result.h"

namespace keelson::leader {

// Policy key ("<namespace>/<name>") -> its history as JSON text (engine::historyToJson).
using PersistedState = std::map<std::string, std::string>;

inline constexpr std::size_t kMaxShards = 16;
// Well under the API server's 256 KiB for all of an object's annotations (keys included), so a
// shard is never refused for its size; 16 shards hold ~3 MiB, about 6,000 policies' histories.
inline constexpr std::size_t kMaxShardBytes = 192 * 1024;

// "<lease>-state-<index>".
std::string shardName(const std::string& lease, std::size_t index);

// Which of `count` shards holds `key`: FNV-1a 64 of the key modulo count (stable across versions
// and processes; count is a power of two, so doubling it splits each shard in two).
std::size_t shardIndex(std::string_view key, std::size_t count);

struct ShardPlan {
  // The annotation text of each shard, a JSON object {"<key>": <history>, ...}; as many as the
  // shard count (never fewer than asked for, so a shard that emptied is written empty, not left
  // holding stale histories).
  std::vector<std::string> texts;
  // Keys whose history is not persisted: one history larger than a shard, or the state larger
  // than kMaxShards shards (then the largest histories are left out first). Sorted.
  std::vector<std::string> left_out;
};

// The fewest shards (a power of two, at least `min_count`, at most `max_shards`) in which every
// shard's text is at most `max_bytes`.
ShardPlan planShards(const PersistedState& state, std::size_t min_count,
                     std::size_t max_bytes = kMaxShardBytes, std::size_t max_shards = kMaxShards);

// Adds one shard's entries to `into` (a key already there is replaced). An entry that is not an
// object is skipped; a text that is not a JSON object is an error naming the shard.
Status parseShard(const std::string& name, const std::string& text, PersistedState& into);

// The shards of one election Lease, through a LeaseStore (which must be used by one thread).
class ShardedState {
 public:
  ShardedState(LeaseStore& store, std::string ns, std::string lease)
      : store_(store), ns_(std::move(ns)), lease_(std::move(lease)) {}

  // Reads shards 0, 1, ... up to the first that does not exist, and remembers what it read (the
  // next write changes only shards whose text differs).
  Result<PersistedState> load();

  struct Written {
    std::size_t shards = 0;  // the shard count after the write
    std::size_t writes = 0;  // shards written (created or replaced)
    std::vector<std::string> left_out;
  };
  // Writes the shards whose text changed (creating those that do not exist yet); each write is
  // conditional on the resourceVersion last seen, and a conflict is read again and retried once.
  Result<Written> write(const PersistedState& state, std::size_t max_bytes = kMaxShardBytes);

  std::size_t shardCount() const { return texts_.size(); }

 private:
  Status put(std::size_t index, const std::string& text);

  LeaseStore& store_;
  std::string ns_;
  std::string lease_;
  std::vector<std::string> texts_;       // what each shard holds, as last read or written
  std::vector<nlohmann::json> objects_;  // the shard objects (null: not known to exist)
};

}  // namespace keelson::leader
