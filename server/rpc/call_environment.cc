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

absl::Status CallEnvironment::Authorize(
    const grpc::CallbackServerContext& context, std::string* caller) const {
  caller->clear();
  if (access_ == nullptr) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  const absl::string_view value =
      it == metadata.end()
          ? absl::string_view()
          : absl::string_view(it->second.data(), it->second.size());
  return access_->Admit(value, caller);
}

void CallEnvironment::ChargeTokens(absl::string_view caller,
                                   int64_t tokens) const {
  if (access_ != nullptr && !caller.empty()) {
    access_->ChargeTokens(caller, tokens);
  }
  if (metrics_ != nullptr && !caller.empty()) {
    metrics_->AddKeyTokens(caller, tokens);
  }
}

void CallEnvironment::RecordRequest(absl::string_view rpc,
                                    absl::StatusCode code, absl::Time arrival,
                                    absl::string_view caller) const {
  if (metrics_ == nullptr) return;
  metrics_->RecordRequest(rpc, code, clock_->Now() - arrival);
  if (!caller.empty()) metrics_->RecordKeyRequest(caller, code);
}

}  // namespace glossa::server
