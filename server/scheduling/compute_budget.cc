#include "server/scheduling/compute_budget.h"

#include <algorithm>

namespace glossa::server {

ComputeBudget::ComputeBudget(int threads)
    : threads_(std::max(1, threads)), free_(std::max(1, threads)) {}

int ComputeBudget::ShareLocked() const {
  const int loops = std::max<int>(1, static_cast<int>(working_.size()));
  return std::max(1, threads_ / loops);
}

int ComputeBudget::Acquire(const void* loop) {
  absl::MutexLock lock(&mu_);
  working_.insert(loop);
  const uint64_t ticket = next_ticket_++;
  waiting_.push_back(ticket);
  auto my_turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiting_.front() == ticket && free_ >= ShareLocked();
  };
  mu_.Await(absl::Condition(&my_turn));
  waiting_.pop_front();
  const int share = ShareLocked();
  free_ -= share;
  return share;
}

void ComputeBudget::Release(int threads) {
  absl::MutexLock lock(&mu_);
  free_ += threads;
}

void ComputeBudget::Idle(const void* loop) {
  absl::MutexLock lock(&mu_);
  working_.erase(loop);
}

int ComputeBudget::working() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(working_.size());
}

}  // namespace glossa::server
