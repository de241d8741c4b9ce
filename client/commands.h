#ifndef GLOSSA_CLIENT_COMMANDS_H_
#define GLOSSA_CLIENT_COMMANDS_H_

#include <string>
#include <vector>

namespace glossa::client {

// Each returns the process exit status: 0 on success, 1 when a call failed
// (the status is printed to stderr), 2 on a usage error.

// Translates `texts`, or stdin lines (--batch per call) when empty.
int RunTranslate(const std::vector<std::string>& texts);
// Streams a generation for the joined `words`, printing text as it comes.
int RunGenerate(const std::vector<std::string>& words);
// TranslateDocument of a file ("-": stdin); HTML with --html or a .html
// name. Prints the translated document.
int RunDocument(const std::string& path);
// Prints GetModelInfo (JSON).
int RunInfo();
// ListModels: a table (name, state, version, policy, memory, aliases), or
// JSON with --json.
int RunModels();
// LoadModel of `model` (from `path` when not empty; --compute_type), and
// UnloadModel: they return when the server has done it.
int RunLoad(const std::string& model, const std::string& path);
int RunUnload(const std::string& model);
// grpc.health.v1.Health/Check of --service; 0 only when SERVING.
int RunHealth();

}  // namespace glossa::client

#endif  // GLOSSA_CLIENT_COMMANDS_H_
