#include "server/calls/call_environment.h"

#include "absl/strings/str_cat.h"

namespace glossa::server {

void CallEnvironment::Activate(ModelDirectory* models) {
  absl::MutexLock lock(&mu_);
  models_ = models;
}

bool CallEnvironment::ready() const {
  absl::MutexLock lock(&mu_);
  return models_ != nullptr && !draining_;
}

void CallEnvironment::BeginDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

absl::StatusOr<ModelDirectory*> CallEnvironment::models() const {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    return absl::UnavailableError(
        "the server is shutting down; retry on another replica");
  }
  if (models_ == nullptr) {
    return absl::UnavailableError(
        "the server is still loading its models; retry later");
  }
  return models_;
}

absl::StatusOr<std::shared_ptr<const ServingBackend>> CallEnvironment::backend(
    absl::string_view model) const {
  absl::StatusOr<ModelDirectory*> models = this->models();
  if (!models.ok()) return models.status();
  return (*models)->Find(model);
}

absl::Status CallEnvironment::AuthorizeAdmin(absl::string_view caller) const {
  if (access_ == nullptr || access_->IsAdmin(caller)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      "loading and unloading models needs an API key marked admin=true in "
      "--api_keys_file");
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
                                    absl::string_view model,
                                    absl::StatusCode code, absl::Time arrival,
                                    absl::string_view caller,
                                    absl::string_view frontend) const {
  if (metrics_ == nullptr) return;
  metrics_->RecordRequest(frontend, rpc, model, code, clock_->Now() - arrival);
  if (!caller.empty()) metrics_->RecordKeyRequest(caller, code);
}

}  // namespace glossa::server
