#include "server/rpc/call_metadata.h"

namespace glossa::server {

absl::Status AuthorizeCall(const CallEnvironment& environment,
                           const grpc::CallbackServerContext& context,
                           std::string* caller) {
  const auto& metadata = context.client_metadata();
  // HTTP/2's count (RFC 7540 6.5.2): name + value + 32 per entry.
  size_t bytes = 0;
  for (const auto& [name, value] : metadata) {
    bytes += name.size() + value.size() + 32;
  }
  auto it = metadata.find("authorization");
  const absl::string_view value =
      it == metadata.end()
          ? absl::string_view()
          : absl::string_view(it->second.data(), it->second.size());
  return environment.Authorize(value, bytes, caller);
}

}  // namespace glossa::server
