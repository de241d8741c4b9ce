#include "server/rpc/transport_counters.h"

#include "gtest/gtest.h"

namespace glossa::server {
namespace {

TEST(TransportCountersTest, SumsTheServersOfOnePage) {
  // As channelz writes it: int64 as strings, zero counters left out.
  const char* json = R"({"server":[
      {"ref":{"serverId":"3"},
       "data":{"callsStarted":"22","callsSucceeded":"1","callsFailed":"1",
               "lastCallStartedTimestamp":"2026-12-02T02:00:00Z"},
       "listenSocket":[{"socketId":"4","name":"127.0.0.1:5000"}]},
      {"ref":{"serverId":"7"},"data":{"callsStarted":"5"}}],
      "end":true})";
  TransportCallCounts counts;
  int64_t next = -1;
  ASSERT_TRUE(AddChannelzServers(json, &counts, &next).ok());
  EXPECT_EQ(counts.started, 27);
  EXPECT_EQ(counts.succeeded, 1);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_EQ(next, 0);
}

TEST(TransportCountersTest, AnUnfinishedPageContinuesAfterItsLastServer) {
  TransportCallCounts counts;
  int64_t next = 0;
  ASSERT_TRUE(
      AddChannelzServers(R"({"server":[{"ref":{"serverId":"12"},"data":{}}]})",
                         &counts, &next)
          .ok());
  EXPECT_EQ(next, 13);
  EXPECT_EQ(counts.started, 0);
  ASSERT_TRUE(AddChannelzServers("{}", &counts, &next).ok());
  EXPECT_EQ(next, 0);
}

TEST(TransportCountersTest, UnreadableJsonIsInternal) {
  TransportCallCounts counts;
  int64_t next = 0;
  EXPECT_EQ(AddChannelzServers("{\"server\": [", &counts, &next).code(),
            absl::StatusCode::kInternal);
}

// In this process no server runs: channelz answers with no servers.
TEST(TransportCountersTest, ReadsThisProcessesChannelz) {
  auto counts = ReadTransportCallCounts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->started, 0);
}

}  // namespace
}  // namespace glossa::server
