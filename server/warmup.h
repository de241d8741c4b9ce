#ifndef GLOSSA_SERVER_WARMUP_H_
#define GLOSSA_SERVER_WARMUP_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "model/engine.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// Runs a few short sequences (greedy, beam search and sampling, batched
// together) through the running scheduler so that the backend has created
// its kernels before health reports SERVING: the first real request then
// sees no start-up cost. Waits up to `timeout`.
absl::Status WarmUp(Scheduler* scheduler, const model::Engine& engine,
                    absl::Duration timeout);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_WARMUP_H_
