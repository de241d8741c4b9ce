#include "server/scheduling/compute_budget.h"

#include <algorithm>
#include <limits>

#include "absl/time/clock.h"

namespace glossa::server {
namespace {

// Thread-seconds: a few short requests of a base-size model.
constexpr double kWakeCredit = 0.1;

}  // namespace

ComputeBudget::ComputeBudget(int threads)
    : threads_(std::max(1, threads)), free_(std::max(1, threads)) {}

int ComputeBudget::ShareLocked() const {
  int working = 0;
  for (const auto& [key, loop] : loops_) working += loop.working ? 1 : 0;
  return std::max(1, threads_ / std::max(1, working));
}

bool ComputeBudget::IsNextLocked(const Loop& loop) const {
  for (const auto& [key, other] : loops_) {
    if (!other.waiting || &other == &loop) continue;
    if (other.used < loop.used ||
        (other.used == loop.used && other.ticket < loop.ticket)) {
      return false;
    }
  }
  return true;
}

int ComputeBudget::Acquire(const void* key) {
  absl::MutexLock lock(&mu_);
  Loop& loop = loops_[key];
  if (!loop.working) {
    // Back from idle: level with the least-used loop that has work, less a
    // credit (as a fair-share CPU scheduler gives a waking task) so that a
    // quiet model's short request runs through in one go instead of
    // trailing the busy model after its first step. Idling earns no more.
    double least = std::numeric_limits<double>::infinity();
    for (const auto& [other_key, other] : loops_) {
      if (other.working) least = std::min(least, other.used);
    }
    if (least != std::numeric_limits<double>::infinity()) {
      loop.used = std::max(loop.used, least - kWakeCredit);
    }
    loop.working = true;
  }
  loop.waiting = true;
  loop.ticket = next_ticket_++;
  // Other loops may be added while this one waits, and flat_hash_map moves
  // its values when it grows: look the loop up again each time.
  auto my_turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const Loop& me = loops_.at(key);
    return free_ >= ShareLocked() && IsNextLocked(me);
  };
  mu_.Await(absl::Condition(&my_turn));
  Loop& me = loops_.at(key);
  me.waiting = false;
  me.threads = ShareLocked();
  me.granted = absl::Now();
  free_ -= me.threads;
  return me.threads;
}

void ComputeBudget::Release(const void* key) {
  absl::MutexLock lock(&mu_);
  Loop& loop = loops_.at(key);
  loop.used += absl::ToDoubleSeconds(absl::Now() - loop.granted) * loop.threads;
  free_ += loop.threads;
  loop.threads = 0;
}

void ComputeBudget::Idle(const void* key) {
  absl::MutexLock lock(&mu_);
  const auto it = loops_.find(key);
  if (it != loops_.end() && it->second.threads == 0) loops_.erase(it);
}

int ComputeBudget::working() const {
  absl::MutexLock lock(&mu_);
  int working = 0;
  for (const auto& [key, loop] : loops_) working += loop.working ? 1 : 0;
  return working;
}

}  // namespace glossa::server
