// Untrusted model files: config.json, generation_config.json,
// model.safetensors and vocab.json (with the fixture's SentencePiece
// models), each through the loader that reads it. The first byte picks the
// file; a corrupt one must give an error, never a crash.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "model/families/family.h"
#include "model/io/config.h"
#include "model/io/safetensors_reader.h"
#include "model/tokenizer/marian_tokenizer.h"

namespace {

namespace fs = std::filesystem;

// A private folder holding the fixture's tokenizer files; the fuzzed file
// is written into it.
const std::string& WorkDir() {
  static const std::string* dir = [] {
    std::string pattern = (fs::temp_directory_path() / "glossa_fuzz_XXXXXX");
    auto* made = new std::string(mkdtemp(pattern.data()));
    const fs::path fixture =
        fs::path(GLOSSA_SOURCE_DIR) / "tests/reference/fixtures/tiny-swish";
    for (const char* file : {"source.spm", "target.spm"}) {
      fs::copy_file(fixture / file, fs::path(*made) / file);
    }
    return made;
  }();
  return *dir;
}

void Write(const std::string& path, absl::string_view data) {
  std::ofstream(path, std::ios::binary).write(data.data(), data.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glossa::model;
  if (size == 0) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)ParseModelConfig(text);
      break;
    case 1: {
      ModelConfig config;
      config.vocab_size = 100;
      config.d_model = 8;
      config.encoder_layers = config.decoder_layers = 1;
      config.encoder_attention_heads = config.decoder_attention_heads = 2;
      config.encoder_ffn_dim = config.decoder_ffn_dim = 16;
      config.max_position_embeddings = 16;
      (void)ApplyGenerationConfig(text, &config);
      break;
    }
    case 2: {
      const std::string path = WorkDir() + "/model.safetensors";
      Write(path, text);
      auto reader = SafetensorsReader::Open(path);
      if (!reader.ok()) break;
      // Every tensor the header promises, at the shape it declares.
      for (const std::string& name : (*reader)->Names()) {
        (void)(*reader)->ReadFloat(name, (*reader)->Find(name)->shape);
      }
      break;
    }
    case 3:
      Write(WorkDir() + "/vocab.json", text);
      (void)MarianTokenizer::Load(WorkDir());
      break;
  }
  return 0;
}
