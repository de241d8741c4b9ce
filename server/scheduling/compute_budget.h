#ifndef GLOSSA_SERVER_SCHEDULING_COMPUTE_BUDGET_H_
#define GLOSSA_SERVER_SCHEDULING_COMPUTE_BUDGET_H_

#include <cstdint>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace glossa::server {

// The cores of a server that runs several models, shared by their scheduler
// loops. A loop with work asks for a turn before each scheduler iteration
// and gets an equal share of the threads: total / (loops with work), at
// least one. While more loops have work than there are threads, turns are
// granted in arrival order, so every model with work steps in turn. A busy
// model then costs a quiet one a share of the cores, never its turn: the
// quiet model's latency stays bounded whatever the busy one's batch size.
// Thread-safe.
class ComputeBudget {
 public:
  explicit ComputeBudget(int threads);

  int threads() const { return threads_; }

  // Blocks until `loop` may run; returns the threads it may use, which it
  // must Release() when its iteration is done. Counts `loop` as having
  // work until Idle(loop).
  int Acquire(const void* loop);
  void Release(int threads);
  // `loop` has nothing to do: the others' shares grow.
  void Idle(const void* loop);

  // Loops that have work (for gauges and tests).
  int working() const;

 private:
  int ShareLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int threads_;
  mutable absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<const void*> working_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> waiting_ ABSL_GUARDED_BY(mu_);  // tickets, FIFO
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_SCHEDULING_COMPUTE_BUDGET_H_
