#include "base/runtime_env.h"

#include <sched.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace glossa::base {

void EnsurePassiveOpenMp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  // A short, bounded spin (~tens of microseconds) before sleeping: a decoder
  // step runs ~40 small GEMMs back to back, and waking a sleeping worker for
  // each cost 20% at batch 1 (measured). Unbounded spinning is what starves
  // other processes; this is not that.
  if (std::getenv("GOMP_SPINCOUNT") == nullptr) {
    ::setenv("GOMP_SPINCOUNT", "20000", 1);
  }
  ::execv("/proc/self/exe", argv);
  std::perror("re-exec with OMP_WAIT_POLICY=PASSIVE failed; continuing");
}

int AvailableCpus() {
  int cpus = 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    cpus = CPU_COUNT(&set);
  } else {
    cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  }
  // A container's CPU limit (cgroup v2 cpu.max: "quota period" or "max").
  std::ifstream cpu_max("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long period = 0;
  if (cpu_max >> quota >> period && quota != "max" && period > 0) {
    const int limit = static_cast<int>(std::ceil(std::stod(quota) / period));
    if (limit > 0 && limit < cpus) cpus = limit;
  }
  return cpus < 1 ? 1 : cpus;
}

}  // namespace glossa::base
