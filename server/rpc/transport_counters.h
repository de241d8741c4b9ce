#ifndef GLOSSA_SERVER_RPC_TRANSPORT_COUNTERS_H_
#define GLOSSA_SERVER_RPC_TRANSPORT_COUNTERS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/metrics/metrics.h"

namespace glossa::server {

// gRPC's own call counters for the servers of this process, from channelz
// (on by default in gRPC). They include the calls gRPC ends before any
// handler runs, which the service itself can never count: a request over
// --max_message_bytes, a compressed message that inflates past it, a
// malformed frame. Internal when channelz answers something unreadable.
absl::StatusOr<TransportCallCounts> ReadTransportCallCounts();

// Parses one answer of grpc_channelz_get_servers() (JSON), adding its
// servers' counts to `counts`; sets `*next_start` to the id after the last
// server, or 0 when the answer says it is the last page.
absl::Status AddChannelzServers(absl::string_view json,
                                TransportCallCounts* counts,
                                int64_t* next_start);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_RPC_TRANSPORT_COUNTERS_H_
