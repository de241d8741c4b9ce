#ifndef GLOSSA_BASE_RUNTIME_ENV_H_
#define GLOSSA_BASE_RUNTIME_ENV_H_

namespace glossa::base {

// OpenMP (behind oneDNN) must not busy-wait: spinning workers made work on
// 2-core machines 10-100x slower whenever anything else ran. libgomp reads
// OMP_WAIT_POLICY once, when it is loaded, before main() - so if the
// variable is unset this re-executes the program with
// OMP_WAIT_POLICY=PASSIVE (and a short GOMP_SPINCOUNT). Call first thing in
// main(). Returns only when the environment is already right (or re-exec
// failed, which is logged).
void EnsurePassiveOpenMp(char** argv);

// CPUs this process may run on (affinity mask, then cgroup CPU quota).
int AvailableCpus();

}  // namespace glossa::base

#endif  // GLOSSA_BASE_RUNTIME_ENV_H_
