#include "server/calls/call_environment.h"

#include "absl/strings/str_cat.h"

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

absl::Status CallEnvironment::Authorize(absl::string_view authorization,
                                        size_t metadata_bytes,
                                        std::string* caller) const {
  caller->clear();
  if (max_metadata_bytes_ > 0 &&
      metadata_bytes > static_cast<size_t>(max_metadata_bytes_)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the call's metadata is ", metadata_bytes, " bytes; the limit is ",
        max_metadata_bytes_, " (--max_metadata_bytes)"));
  }
  if (access_ == nullptr) return absl::OkStatus();
  return access_->Admit(authorization, caller);
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
                                    absl::string_view caller,
                                    absl::string_view frontend) const {
  if (metrics_ == nullptr) return;
  metrics_->RecordRequest(frontend, rpc, code, clock_->Now() - arrival);
  if (!caller.empty()) metrics_->RecordKeyRequest(caller, code);
}

}  // namespace glossa::server
