#include "model/families/random_model.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "model/families/family.h"
#include "model/kernels/number_format.h"

namespace glossa::model {
namespace {

std::vector<float> RandomValues(const std::string& name, size_t count,
                                uint64_t seed) {
  std::vector<float> values(count);
  const bool is_norm = name.find("layer_norm") != std::string::npos;
  if (is_norm) {
    const float fill = absl::EndsWith(name, ".weight") ? 1.0f : 0.0f;
    std::fill(values.begin(), values.end(), fill);
    return values;
  }
  // The stream depends on the seed and the tensor's name alone, the same in
  // every process: seed_seq's mixing is fixed by the standard, whereas
  // absl::Hash is salted per process on purpose.
  std::vector<uint32_t> key = {static_cast<uint32_t>(seed),
                               static_cast<uint32_t>(seed >> 32)};
  key.insert(key.end(), name.begin(), name.end());
  std::seed_seq sequence(key.begin(), key.end());
  std::mt19937_64 rng(sequence);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (float& v : values) v = normal(rng);
  return values;
}

}  // namespace

ModelConfig OpusMtBaseConfig() {
  // The shape of the Helsinki-NLP/opus-mt-* checkpoints, read by the family
  // parser like any config.json (so every other field takes Marian's
  // defaults), with a 32,000-piece vocabulary.
  absl::StatusOr<ModelConfig> config = ParseModelConfig(R"({
    "model_type": "marian", "d_model": 512, "encoder_layers": 6,
    "decoder_layers": 6, "encoder_attention_heads": 8,
    "decoder_attention_heads": 8, "encoder_ffn_dim": 2048,
    "decoder_ffn_dim": 2048, "activation_function": "swish",
    "scale_embedding": true, "normalize_before": false,
    "vocab_size": 32000, "max_position_embeddings": 512, "max_length": 512,
    "eos_token_id": 0, "pad_token_id": 31999, "decoder_start_token_id": 31999,
    "forced_eos_token_id": 0, "bad_words_ids": [[31999]]})");
  CHECK_OK(config.status());
  return *config;
}

absl::StatusOr<ModelConfig> BenchShapeConfig(absl::string_view shape) {
  if (shape == "opus-mt-base") return OpusMtBaseConfig();
  if (shape == "nllb-600m") {
    // config.json of the distilled 600M checkpoint, the keys that matter.
    return ParseModelConfig(R"({
      "model_type": "m2m_100", "d_model": 1024, "encoder_layers": 12,
      "decoder_layers": 12, "encoder_attention_heads": 16,
      "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
      "decoder_ffn_dim": 4096, "activation_function": "relu",
      "scale_embedding": true, "vocab_size": 256206,
      "max_position_embeddings": 1024, "max_length": 200,
      "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2})");
  }
  if (shape == "bart-base") {
    // facebook/bart-base's config.json, the keys that matter.
    return ParseModelConfig(R"({
      "model_type": "bart", "d_model": 768, "encoder_layers": 6,
      "decoder_layers": 6, "encoder_attention_heads": 12,
      "decoder_attention_heads": 12, "encoder_ffn_dim": 3072,
      "decoder_ffn_dim": 3072, "activation_function": "gelu",
      "scale_embedding": false, "vocab_size": 50265,
      "max_position_embeddings": 1024, "pad_token_id": 1, "eos_token_id": 2,
      "decoder_start_token_id": 2, "forced_bos_token_id": 0,
      "forced_eos_token_id": 2})");
  }
  if (shape == "flan-t5-base") {
    // google/flan-t5-base's config.json.
    return ParseModelConfig(R"({
      "model_type": "t5", "d_model": 768, "d_kv": 64, "d_ff": 2048,
      "num_layers": 12, "num_decoder_layers": 12, "num_heads": 12,
      "feed_forward_proj": "gated-gelu", "tie_word_embeddings": false,
      "relative_attention_num_buckets": 32,
      "relative_attention_max_distance": 128, "vocab_size": 32128,
      "n_positions": 512, "pad_token_id": 0, "eos_token_id": 1,
      "decoder_start_token_id": 0})");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown shape '", base::ShortForMessage(shape),
      "' (shapes: opus-mt-base, nllb-600m, bart-base, flan-t5-base)"));
}

TensorSource RandomTensors(const ModelConfig& config,
                           const CheckpointLayout& layout, uint64_t seed) {
  const bool tied = config.tie_word_embeddings;
  const bool shared = config.share_encoder_decoder_embeddings;
  return [layout, seed, tied, shared](const std::string& name,
                                      const std::vector<int64_t>& shape)
             -> absl::StatusOr<std::vector<float>> {
    // Only what ExpectedTensors lists: the tied or shared copies are
    // absent.
    if ((tied && name == layout.lm_head) ||
        (shared && name == layout.decoder_embeddings) ||
        (name != layout.encoder_embeddings.front() &&
         std::find(layout.encoder_embeddings.begin(),
                   layout.encoder_embeddings.end(),
                   name) != layout.encoder_embeddings.end())) {
      return absl::NotFoundError(absl::StrCat(name, " is tied"));
    }
    size_t count = 1;
    for (int64_t dim : shape) count *= dim;
    return RandomValues(name, count, seed);
  };
}

absl::StatusOr<std::shared_ptr<const Model>> RandomModel(
    const ModelConfig& config, uint64_t seed, const LoadOptions& options) {
  ASSIGN_OR_RETURN(const Family* family, FindFamily(config.model_type));
  const CheckpointLayout layout = family->Layout(config);
  return Model::FromTensors(config, layout, RandomTensors(config, layout, seed),
                            options);
}

absl::Status WriteRandomModel(const ModelConfig& c, uint64_t seed,
                              const std::string& out_dir,
                              const std::string& tokenizer_dir) {
  ASSIGN_OR_RETURN(const Family* family, FindFamily(c.model_type));
  ::mkdir(out_dir.c_str(), 0755);
  std::ofstream(out_dir + "/config.json") << family->ConfigJson(c);
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  const std::vector<TensorShape> list = ExpectedTensors(family->Layout(c), c);
  for (const TensorShape& tensor : list) {
    uint64_t count = 1;
    for (int64_t dim : tensor.shape) count *= dim;
    header[tensor.name] = {{"dtype", "F16"},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + 2 * count}}};
    offset += 2 * count;
  }
  std::string header_text = header.dump();
  while (header_text.size() % 8 != 0) header_text.push_back(' ');
  std::ofstream out(out_dir + "/model.safetensors", std::ios::binary);
  uint64_t header_size = header_text.size();
  for (int i = 0; i < 8; ++i)
    out.put(static_cast<char>(header_size >> (8 * i)));
  out << header_text;
  for (const TensorShape& tensor : list) {
    uint64_t count = 1;
    for (int64_t dim : tensor.shape) count *= dim;
    const std::vector<float> values = RandomValues(tensor.name, count, seed);
    std::vector<uint16_t> half(count);
    for (size_t i = 0; i < count; ++i) half[i] = FloatToHalf(values[i]);
    out.write(reinterpret_cast<const char*>(half.data()), 2 * count);
  }
  if (!out) {
    return absl::InternalError(
        absl::StrCat("cannot write ", out_dir, "/model.safetensors"));
  }
  if (tokenizer_dir.empty()) return absl::OkStatus();

  for (const char* file : {"source.spm", "target.spm"}) {
    std::ifstream in(tokenizer_dir + "/" + file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("cannot read ", tokenizer_dir, "/", file));
    }
    std::ofstream(out_dir + "/" + file, std::ios::binary) << in.rdbuf();
  }
  ASSIGN_OR_RETURN(std::string vocab_text,
                   base::ReadFileToString(tokenizer_dir + "/vocab.json"));
  nlohmann::json vocab = nlohmann::json::parse(vocab_text, nullptr,
                                               /*allow_exceptions=*/false);
  if (vocab.is_discarded() || !vocab.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(tokenizer_dir, "/vocab.json is not a JSON object"));
  }
  // Keep the real pieces, move <pad> to the last id, fill the gap.
  nlohmann::json padded = nlohmann::json::object();
  int next = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (it.key() == "<pad>") continue;
    if (it.value().get<int>() >= c.vocab_size - 1) continue;
    padded[it.key()] = it.value();
    next = std::max(next, it.value().get<int>() + 1);
  }
  for (int id = next; id < c.vocab_size - 1; ++id) {
    padded[absl::StrCat("<filler_", id, ">")] = id;
  }
  padded["<pad>"] = c.vocab_size - 1;
  std::ofstream(out_dir + "/vocab.json") << padded.dump() << "\n";
  return absl::OkStatus();
}

}  // namespace glossa::model
