// glossa: command-line client and load generator for glossa-server.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "base/program_usage.h"
#include "client/bench.h"
#include "client/client_flags.h"
#include "client/commands.h"

namespace {

constexpr char kUsage[] =
    "Calls a glossa-server.\n\n"
    "  glossa [flags] translate [TEXT...]  translate TEXTs, or stdin lines\n"
    "  glossa [flags] generate TEXT...     stream a generation token by token\n"
    "  glossa [flags] document FILE        translate a text or HTML document\n"
    "                                      (FILE - : stdin; --html)\n"
    "  glossa [flags] info                 describe the served model (JSON)\n"
    "  glossa [flags] models               list the models and their state\n"
    "  glossa [flags] load NAME [PATH]     load (or reload) a model; admin\n"
    "  glossa [flags] unload NAME          drain and unload a model; admin\n"
    "  glossa [flags] health               exit 0 only if SERVING\n"
    "  glossa [flags] bench                load generator: throughput and\n"
    "                                      latency percentiles\n\n"
    "--server (env GLOSSA_SERVER) defaults to localhost:50051; errors exit\n"
    "non-zero with the gRPC status on stderr. See --helpfull for all flags.";

}  // namespace

int main(int argc, char** argv) {
  glossa::base::SetProgramUsage(kUsage, "client/");
  glossa::client::ApplyEnvironment();
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::fprintf(stderr, "%s\n", kUsage);
    return 2;
  }
  const std::string command = args[1];
  const std::vector<std::string> rest(args.begin() + 2, args.end());
  if (command == "translate") return glossa::client::RunTranslate(rest);
  if (command == "generate") return glossa::client::RunGenerate(rest);
  if (command == "document" && rest.size() == 1) {
    return glossa::client::RunDocument(rest[0]);
  }
  if (command == "info" && rest.empty()) return glossa::client::RunInfo();
  if (command == "health" && rest.empty()) return glossa::client::RunHealth();
  if (command == "models" && rest.empty()) return glossa::client::RunModels();
  if (command == "load" && (rest.size() == 1 || rest.size() == 2)) {
    return glossa::client::RunLoad(rest[0], rest.size() == 2 ? rest[1] : "");
  }
  if (command == "unload" && rest.size() == 1) {
    return glossa::client::RunUnload(rest[0]);
  }
  if (command == "bench" && rest.empty()) return glossa::client::RunBench();
  std::fprintf(stderr, "glossa: unknown command or arguments: %s\n\n%s\n",
               command.c_str(), kUsage);
  return 2;
}
