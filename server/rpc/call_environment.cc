#include "server/rpc/call_environment.h"

namespace glossa::server {

void CallEnvironment::Activate(const ServingBackend* backend) {
  absl::MutexLock lock(&mu_);
  backend_ = backend;
}

void CallEnvironment::BeginDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

absl::StatusOr<const ServingBackend*> CallEnvironment::backend() const {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    return absl::UnavailableError(
        "the server is shutting down; retry on another replica");
  }
  if (backend_ == nullptr) {
    return absl::UnavailableError("the model is still loading; retry later");
  }
  return backend_;
}

void CallEnvironment::RecordRequest(absl::string_view rpc,
                                    absl::StatusCode code,
                                    absl::Time arrival) const {
  if (metrics_ != nullptr) {
    metrics_->RecordRequest(rpc, code, clock_->Now() - arrival);
  }
}

}  // namespace glossa::server
