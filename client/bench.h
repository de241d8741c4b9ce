#ifndef GLOSSA_CLIENT_BENCH_H_
#define GLOSSA_CLIENT_BENCH_H_

namespace glossa::client {

// `glossa bench`: --concurrency callers send Translate and/or Generate
// calls (--rpc) with inputs of mixed lengths for --duration or --requests
// calls, print a progress line while running, then throughput and latency
// percentiles (text, or JSON with --json). Returns the exit status.
int RunBench();

}  // namespace glossa::client

#endif  // GLOSSA_CLIENT_BENCH_H_
