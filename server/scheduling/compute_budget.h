#ifndef GLOSSA_SERVER_SCHEDULING_COMPUTE_BUDGET_H_
#define GLOSSA_SERVER_SCHEDULING_COMPUTE_BUDGET_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace glossa::server {

// The cores of a server that runs several models, shared by their scheduler
// loops. A loop with work asks for a turn before each scheduler iteration
// and gets an equal share of the threads: total / (loops with work), at
// least one. While more loops want a turn than there are threads, the turn
// goes to the loop that has used the least compute time (thread-seconds) so
// far, as a fair-share CPU scheduler does: a quiet model's short steps run
// as soon as the busy model's current step ends, instead of alternating
// with the busy model's long steps. A loop that comes back from idle starts
// a little ahead of the others (0.1 thread-seconds), never further: idling
// earns no lasting credit. Thread-safe.
class ComputeBudget {
 public:
  explicit ComputeBudget(int threads);

  int threads() const { return threads_; }

  // Blocks until `loop` may run; returns the threads it may use. It must
  // call Release(loop) when its iteration is done. Counts `loop` as having
  // work until Idle(loop).
  int Acquire(const void* loop);
  void Release(const void* loop);
  // `loop` has nothing to do: the others' shares grow.
  void Idle(const void* loop);

  // Loops that have work (for gauges and tests).
  int working() const;

 private:
  struct Loop {
    bool working = false;
    bool waiting = false;
    uint64_t ticket = 0;  // arrival order, breaks ties
    double used = 0;      // thread-seconds of compute so far
    int threads = 0;      // held now
    absl::Time granted;
  };
  int ShareLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `loop` is the waiting loop that has used the least.
  bool IsNextLocked(const Loop& loop) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int threads_;
  mutable absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const void*, Loop> loops_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_SCHEDULING_COMPUTE_BUDGET_H_
