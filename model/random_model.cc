#include "model/random_model.h"

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "model/file_util.h"
#include "model/status_macros.h"

namespace glossa::model {
namespace {

uint16_t FloatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint32_t sign = (bits >> 16) & 0x8000u;
  int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = (bits & 0x7fffffu) + 0x1000u;  // round to nearest
  if (mantissa & 0x800000u) {  // rounding carried into the exponent
    mantissa = 0;
    ++exponent;
  }
  if (exponent <= 0) return static_cast<uint16_t>(sign);  // flush tiny
  if (exponent >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  return static_cast<uint16_t>(sign | (exponent << 10) | (mantissa >> 13));
}

struct NamedShape {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<NamedShape> TensorList(const ModelConfig& c) {
  const int64_t d = c.d_model;
  std::vector<NamedShape> list = {{"model.shared.weight", {c.vocab_size, d}},
                                  {"final_logits_bias", {1, c.vocab_size}}};
  const auto attention = [&](const std::string& p) {
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      list.push_back({p + proj + ".weight", {d, d}});
      list.push_back({p + proj + ".bias", {d}});
    }
  };
  const auto norm = [&](const std::string& p) {
    list.push_back({p + ".weight", {d}});
    list.push_back({p + ".bias", {d}});
  };
  const auto ffn = [&](const std::string& p, int64_t ffn_dim) {
    list.push_back({p + "fc1.weight", {ffn_dim, d}});
    list.push_back({p + "fc1.bias", {ffn_dim}});
    list.push_back({p + "fc2.weight", {d, ffn_dim}});
    list.push_back({p + "fc2.bias", {d}});
    norm(p + "final_layer_norm");
  };
  for (int i = 0; i < c.encoder_layers; ++i) {
    const std::string p = absl::StrCat("model.encoder.layers.", i, ".");
    attention(p + "self_attn.");
    norm(p + "self_attn_layer_norm");
    ffn(p, c.encoder_ffn_dim);
  }
  for (int i = 0; i < c.decoder_layers; ++i) {
    const std::string p = absl::StrCat("model.decoder.layers.", i, ".");
    attention(p + "self_attn.");
    norm(p + "self_attn_layer_norm");
    attention(p + "encoder_attn.");
    norm(p + "encoder_attn_layer_norm");
    ffn(p, c.decoder_ffn_dim);
  }
  if (c.normalize_before) {
    norm("model.encoder.layer_norm");
    norm("model.decoder.layer_norm");
  }
  return list;
}

std::vector<float> RandomValues(const std::string& name, size_t count,
                                uint64_t seed) {
  std::vector<float> values(count);
  const bool is_norm = name.find("layer_norm") != std::string::npos;
  if (is_norm) {
    const float fill = absl::EndsWith(name, ".weight") ? 1.0f : 0.0f;
    std::fill(values.begin(), values.end(), fill);
    return values;
  }
  std::mt19937_64 rng(seed ^ absl::HashOf(name));
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (float& v : values) v = normal(rng);
  return values;
}

}  // namespace

ModelConfig OpusMtBaseConfig() {
  ModelConfig c;
  c.d_model = 512;
  c.encoder_layers = c.decoder_layers = 6;
  c.encoder_attention_heads = c.decoder_attention_heads = 8;
  c.encoder_ffn_dim = c.decoder_ffn_dim = 2048;
  c.activation = Activation::kSwish;
  c.vocab_size = 32000;
  c.max_position_embeddings = 512;
  c.max_length = 512;
  c.eos_token_id = 0;
  c.pad_token_id = c.decoder_start_token_id = c.vocab_size - 1;
  c.bad_words_ids = {c.pad_token_id};
  return c;
}

TensorSource RandomTensors(const ModelConfig& config, uint64_t seed) {
  return
      [config, seed](const std::string& name, const std::vector<int64_t>& shape)
          -> absl::StatusOr<std::vector<float>> {
        if (name == "lm_head.weight" ||
            name == "model.encoder.embed_tokens.weight" ||
            name == "model.decoder.embed_tokens.weight") {
          return absl::NotFoundError(absl::StrCat(name, " is tied"));
        }
        size_t count = 1;
        for (int64_t dim : shape) count *= dim;
        return RandomValues(name, count, seed);
      };
}

absl::Status WriteRandomModel(const ModelConfig& c, uint64_t seed,
                              const std::string& out_dir,
                              const std::string& tokenizer_dir) {
  ::mkdir(out_dir.c_str(), 0755);
  nlohmann::json config = {
      {"architectures", {"MarianMTModel"}},
      {"model_type", "marian"},
      {"d_model", c.d_model},
      {"encoder_layers", c.encoder_layers},
      {"decoder_layers", c.decoder_layers},
      {"encoder_attention_heads", c.encoder_attention_heads},
      {"decoder_attention_heads", c.decoder_attention_heads},
      {"encoder_ffn_dim", c.encoder_ffn_dim},
      {"decoder_ffn_dim", c.decoder_ffn_dim},
      {"activation_function", std::string(ActivationName(c.activation))},
      {"scale_embedding", c.scale_embedding},
      {"normalize_before", c.normalize_before},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"max_length", c.max_length},
      {"pad_token_id", c.pad_token_id},
      {"eos_token_id", c.eos_token_id},
      {"decoder_start_token_id", c.decoder_start_token_id},
      {"forced_eos_token_id", c.eos_token_id},
      {"bad_words_ids", {{c.pad_token_id}}},
      {"num_beams", c.num_beams},
      {"share_encoder_decoder_embeddings", true},
      {"tie_word_embeddings", true}};
  std::ofstream(out_dir + "/config.json") << config.dump(2) << "\n";

  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  const std::vector<NamedShape> list = TensorList(c);
  for (const NamedShape& tensor : list) {
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
  for (const NamedShape& tensor : list) {
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
                   ReadFileToString(tokenizer_dir + "/vocab.json"));
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
