#include "server/access/api_keys.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace glossa::server {
namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr absl::string_view kBearer = "Bearer ";

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

absl::StatusOr<std::string> ParseDigest(absl::string_view hex) {
  if (hex.size() != 64 ||
      !std::all_of(hex.begin(), hex.end(), absl::ascii_isxdigit)) {
    return absl::InvalidArgumentError(
        "a sha256: key must be followed by 64 hex digits");
  }
  return absl::HexStringToBytes(absl::AsciiStrToLower(hex));
}

absl::Status ParseSetting(absl::string_view field, ApiKey* key) {
  const std::pair<absl::string_view, absl::string_view> kv =
      absl::StrSplit(field, absl::MaxSplits('=', 1));
  if (kv.first == "admin") {
    if (kv.second != "true" && kv.second != "false") {
      return absl::InvalidArgumentError("'admin' needs true or false");
    }
    key->admin = kv.second == "true";
    return absl::OkStatus();
  }
  KeyQuota* quota = &key->quota;
  int* target = kv.first == "requests_per_minute" ? &quota->requests_per_minute
                : kv.first == "tokens_per_minute" ? &quota->tokens_per_minute
                                                  : nullptr;
  if (target == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown setting '", kv.first.substr(0, 40),
        "' (requests_per_minute=N, tokens_per_minute=N and admin=true are "
        "known)"));
  }
  if (!absl::SimpleAtoi(kv.second, target) || *target < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", kv.first, "' needs a whole number >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Sha256(absl::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  CHECK(EVP_Digest(key.data(), key.size(), digest, &size, EVP_sha256(),
                   nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(absl::string_view text,
                                                 absl::string_view path) {
  std::vector<ApiKey> keys;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": ", why));
    };
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() < 2) {
      return fail(
          "expected '<name> <key> [requests_per_minute=N] "
          "[tokens_per_minute=N]'");
    }
    ApiKey key;
    key.name = std::string(fields[0]);
    if (!IsValidName(key.name)) {
      return fail(absl::StrCat("name must be 1 to ", kMaxNameBytes,
                               " of [A-Za-z0-9_.-]"));
    }
    for (const ApiKey& other : keys) {
      if (other.name == key.name) {
        return fail(absl::StrCat("name '", key.name, "' is used twice"));
      }
    }
    if (absl::StartsWith(fields[1], "sha256:")) {
      absl::StatusOr<std::string> digest = ParseDigest(fields[1].substr(7));
      if (!digest.ok()) return fail(digest.status().message());
      key.sha256 = *std::move(digest);
    } else {
      key.sha256 = Sha256(fields[1]);
    }
    for (const ApiKey& other : keys) {
      if (other.sha256 == key.sha256) {
        return fail(absl::StrCat("the key of '", key.name,
                                 "' is also the key of '", other.name, "'"));
      }
    }
    for (size_t i = 2; i < fields.size(); ++i) {
      if (absl::Status s = ParseSetting(fields[i], &key); !s.ok()) {
        return fail(s.message());
      }
    }
    keys.push_back(std::move(key));
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": holds no keys (every call would be refused)"));
  }
  return keys;
}

void AccessControl::SetKeys(std::vector<ApiKey> keys) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> by_hash;
  absl::flat_hash_map<std::string, Entry*> by_name;
  for (ApiKey& key : keys) {
    auto entry = std::make_unique<Entry>();
    // A key that stays keeps what it has used; a new one starts full.
    if (auto it = by_hash_.find(key.sha256); it != by_hash_.end()) {
      entry->requests = it->second->requests;
      entry->tokens = it->second->tokens;
    } else {
      entry->requests = {static_cast<double>(key.quota.requests_per_minute),
                         now};
      entry->tokens = {static_cast<double>(key.quota.tokens_per_minute), now};
    }
    entry->key = std::move(key);
    by_name[entry->key.name] = entry.get();
    by_hash[entry->key.sha256] = std::move(entry);
  }
  by_hash_ = std::move(by_hash);
  by_name_ = std::move(by_name);
}

int AccessControl::num_keys() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(by_hash_.size());
}

void AccessControl::Refill(Bucket& bucket, int per_minute, absl::Time now) {
  if (per_minute <= 0) return;
  const double elapsed = absl::ToDoubleSeconds(now - bucket.updated);
  bucket.level =
      std::min<double>(per_minute, bucket.level + elapsed * per_minute / 60.0);
  bucket.updated = now;
}

absl::Status AccessControl::Admit(absl::string_view authorization,
                                  std::string* name) {
  if (!absl::StartsWith(authorization, kBearer)) {
    return absl::UnauthenticatedError(
        "this server needs an API key: send the metadata 'authorization: "
        "Bearer <key>'");
  }
  const std::string hash = Sha256(authorization.substr(kBearer.size()));
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    return absl::UnauthenticatedError("the API key is not valid");
  }
  Entry& entry = *it->second;
  *name = entry.key.name;
  const KeyQuota& quota = entry.key.quota;
  Refill(entry.requests, quota.requests_per_minute, now);
  Refill(entry.tokens, quota.tokens_per_minute, now);
  const auto exhausted = [&](const Bucket& bucket, int per_minute,
                             absl::string_view what) {
    // Seconds until the bucket holds one unit again.
    const double wait = (1.0 - bucket.level) * 60.0 / per_minute;
    return absl::ResourceExhaustedError(absl::StrFormat(
        "API key '%s' has used its %d %s per minute; retry in %.1f s",
        entry.key.name, per_minute, what, std::max(wait, 0.1)));
  };
  if (quota.requests_per_minute > 0 && entry.requests.level < 1.0) {
    return exhausted(entry.requests, quota.requests_per_minute, "requests");
  }
  if (quota.tokens_per_minute > 0 && entry.tokens.level < 1.0) {
    return exhausted(entry.tokens, quota.tokens_per_minute, "tokens");
  }
  if (quota.requests_per_minute > 0) entry.requests.level -= 1.0;
  return absl::OkStatus();
}

bool AccessControl::IsAdmin(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  const auto it = by_name_.find(name);
  return it != by_name_.end() && it->second->key.admin;
}

void AccessControl::ChargeTokens(absl::string_view name, int64_t tokens) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return;  // removed by a reload since
  Entry& entry = *it->second;
  if (entry.key.quota.tokens_per_minute <= 0) return;
  Refill(entry.tokens, entry.key.quota.tokens_per_minute, now);
  entry.tokens.level -= static_cast<double>(tokens);
}

}  // namespace glossa::server
