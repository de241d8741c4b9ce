// Untrusted source text through the engine's one check (size bound, UTF-8,
// blank, tokenization, length) with the fixture's real tokenizer, and ids
// back to text through the detokenizer; the same for the byte-level BPE
// tokenizer (its pre-tokenizer regex and merge heap), whose round trip
// must also give back valid UTF-8.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "model/engine.h"
#include "model/families/family.h"
#include "model/tokenizer/bart_tokenizer.h"
#include "model/tokenizer/marian_tokenizer.h"

namespace {

const glossa::model::Engine& TheEngine() {
  using glossa::model::Engine;
  static const std::shared_ptr<const Engine>* engine = [] {
    const std::string dir =
        std::string(GLOSSA_SOURCE_DIR) + "/tests/reference/fixtures/tiny-swish";
    auto config = glossa::model::ReadModelConfig(dir);
    auto tokenizer = glossa::model::MarianTokenizer::Load(dir);
    if (!config.ok() || !tokenizer.ok()) std::abort();
    // Rules only: no weights are needed to check text.
    auto created = Engine::Create(
        *config, nullptr,
        std::shared_ptr<const glossa::model::Tokenizer>(*std::move(tokenizer)),
        dir);
    if (!created.ok()) std::abort();
    return new std::shared_ptr<const Engine>(*std::move(created));
  }();
  return **engine;
}

const glossa::model::BartTokenizer& TheBpeTokenizer() {
  static const glossa::model::BartTokenizer* tokenizer = [] {
    auto loaded = glossa::model::BartTokenizer::Load(
        std::string(GLOSSA_SOURCE_DIR) +
        "/tests/reference/fixtures/bart-tokenizer");
    if (!loaded.ok()) std::abort();
    return loaded->release();
  }();
  return *tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const glossa::model::Engine& engine = TheEngine();
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto source = engine.CheckSource("text", text, 64);
  if (source.ok() && !source->blank) (void)engine.Decode(source->ids);
  // The same bytes as token ids: any id, valid or not, decodes to text.
  std::vector<int> ids(size / sizeof(int));
  if (!ids.empty()) std::memcpy(ids.data(), data, ids.size() * sizeof(int));
  (void)engine.Decode(ids);

  const glossa::model::BartTokenizer& bpe = TheBpeTokenizer();
  if (glossa::base::IsValidUtf8(text)) {
    auto bpe_ids = bpe.Encode(text);
    if (!bpe_ids.ok() || !glossa::base::IsValidUtf8(bpe.Decode(*bpe_ids))) {
      std::abort();
    }
  }
  if (!glossa::base::IsValidUtf8(bpe.Decode(ids))) std::abort();
  return 0;
}
