#ifndef GLOSSA_SERVER_MODELS_WARMUP_H_
#define GLOSSA_SERVER_MODELS_WARMUP_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "model/engine.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// Compiles every kernel the model can need, then runs a few short sequences
// (greedy, beam search and sampling, batched together) through the running
// scheduler, before health reports SERVING: the first real request then sees
// no start-up cost, and memory does not grow as new batch shapes arrive.
// Waits up to `timeout` for the sequences.
absl::Status WarmUp(Scheduler* scheduler, const model::Engine& engine,
                    absl::Duration timeout);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_MODELS_WARMUP_H_
