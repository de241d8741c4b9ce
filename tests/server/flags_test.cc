#include "server/flags.h"

#include <stdlib.h>

#include <vector>

#include "gtest/gtest.h"

namespace glossa::server {
namespace {

TEST(FlagsTest, EnvironmentSetsFlagsAndTheCommandLineWins) {
  setenv("GLOSSA_PORT", "7000", 1);
  setenv("GLOSSA_MODEL_NAME", "from-env", 1);
  setenv("GLOSSA_BATCHING", "request", 1);
  setenv("GLOSSA_MAX_BATCH_SIZE", "16", 1);
  std::vector<char*> argv = {const_cast<char*>("glossa-server"),
                             const_cast<char*>("--port=7001"),
                             const_cast<char*>("--model=/models/fr-en/")};
  ParseFlagsWithEnvironment(static_cast<int>(argv.size()), argv.data());
  absl::StatusOr<ServerConfig> config = ServerConfigFromFlags();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->grpc.port, 7001);         // command line wins
  EXPECT_EQ(config->model_name, "from-env");  // environment
  EXPECT_EQ(config->scheduler.batching, BatchingMode::kRequest);
  EXPECT_EQ(config->scheduler.max_batch_size, 16);
  EXPECT_EQ(config->model_dir, "/models/fr-en/");
  EXPECT_GT(config->num_threads, 0);
  EXPECT_EQ(config->limits.max_segments, 64);  // default
  EXPECT_EQ(ServerFlagNames().size(), 36u);
}

}  // namespace
}  // namespace glossa::server
