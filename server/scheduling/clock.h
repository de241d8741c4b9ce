#ifndef GLOSSA_SERVER_CLOCK_H_
#define GLOSSA_SERVER_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace glossa::server {

// Where the scheduler and the front end read the time. Injected so that
// batching, queue-delay and deadline logic can be tested with a fake clock
// and no sleeps.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock. Deadlines that gRPC hands us are wall-clock instants, so
// this is the clock the server runs on.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance; never destroyed.
  static RealClock* Get() {
    static RealClock* clock = new RealClock();
    return clock;
  }
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_CLOCK_H_
