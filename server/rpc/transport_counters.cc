#include "server/rpc/transport_counters.h"

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace glossa::server {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// channelz writes int64 fields as JSON strings (proto3 JSON) and leaves out
// the ones that are zero.
int64_t Int64Field(const Struct& object, const std::string& name) {
  const auto it = object.fields().find(name);
  if (it == object.fields().end()) return 0;
  int64_t value = 0;
  if (it->second.kind_case() == Value::kStringValue &&
      absl::SimpleAtoi(it->second.string_value(), &value)) {
    return value;
  }
  if (it->second.kind_case() == Value::kNumberValue) {
    return static_cast<int64_t>(it->second.number_value());
  }
  return 0;
}

}  // namespace

absl::Status AddChannelzServers(absl::string_view json,
                                TransportCallCounts* counts,
                                int64_t* next_start) {
  Struct page;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(std::string(json), &page);
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("unreadable channelz answer: ", parsed.ToString()));
  }
  int64_t last_id = -1;
  const auto servers = page.fields().find("server");
  if (servers != page.fields().end()) {
    for (const Value& server : servers->second.list_value().values()) {
      const auto& fields = server.struct_value().fields();
      const auto data = fields.find("data");
      if (data != fields.end()) {
        const Struct& counters = data->second.struct_value();
        counts->started += Int64Field(counters, "callsStarted");
        counts->succeeded += Int64Field(counters, "callsSucceeded");
        counts->failed += Int64Field(counters, "callsFailed");
      }
      const auto ref = fields.find("ref");
      if (ref != fields.end()) {
        last_id = std::max(last_id,
                           Int64Field(ref->second.struct_value(), "serverId"));
      }
    }
  }
  // proto3 JSON leaves "end" out when it is false.
  const auto end = page.fields().find("end");
  const bool last_page =
      (end != page.fields().end() && end->second.bool_value()) || last_id < 0;
  *next_start = last_page ? 0 : last_id + 1;
  return absl::OkStatus();
}

absl::StatusOr<TransportCallCounts> ReadTransportCallCounts() {
  TransportCallCounts counts;
  int64_t start = 0;
  // A process has one or two servers; the bound only guards against a
  // channelz that never says "end".
  for (int page = 0; page < 100; ++page) {
    char* json = grpc_channelz_get_servers(start);
    if (json == nullptr) return counts;
    const absl::Status status = AddChannelzServers(json, &counts, &start);
    gpr_free(json);
    if (!status.ok()) return status;
    if (start == 0) break;
  }
  return counts;
}

}  // namespace glossa::server
