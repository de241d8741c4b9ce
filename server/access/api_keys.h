#ifndef GLOSSA_SERVER_ACCESS_API_KEYS_H_
#define GLOSSA_SERVER_ACCESS_API_KEYS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/scheduling/clock.h"

namespace glossa::server {

// What one key may spend per minute; 0 means no limit.
struct KeyQuota {
  int requests_per_minute = 0;
  int tokens_per_minute = 0;  // input plus output tokens
};

// One line of the keys file, as the server holds it: a name for logs and
// metrics, the SHA-256 of the key (never the key itself), and its quota.
struct ApiKey {
  std::string name;
  std::string sha256;  // 32 raw bytes
  KeyQuota quota;
  // May load and unload models (LoadModel, UnloadModel).
  bool admin = false;
};

// The keys file: one key per line,
//   <name> <key or sha256:HEX> [requests_per_minute=N] [tokens_per_minute=N]
//          [admin=true]
// '#' starts a comment; blank lines are ignored. A key given as
// "sha256:<64 hex digits>" is stored as it is (`printf %s KEY | sha256sum`),
// so the file need not hold secrets. Names are [A-Za-z0-9_.-], at most 64
// bytes, unique. InvalidArgument names the file, the line and the problem.
absl::StatusOr<std::vector<ApiKey>> ParseApiKeys(absl::string_view text,
                                                 absl::string_view path);

// The SHA-256 of `key`, 32 raw bytes.
std::string Sha256(absl::string_view key);

// Who may call, and how much: the loaded keys with a token bucket per key
// for each quota (the bucket holds one minute's allowance and refills
// continuously). Replaced whole on reload; the buckets of keys that stay
// keep their state. Thread-safe.
class AccessControl {
 public:
  // `clock` must outlive the object.
  explicit AccessControl(const Clock* clock) : clock_(clock) {}

  // Installs a new set of keys (start-up, SIGHUP).
  void SetKeys(std::vector<ApiKey> keys);
  int num_keys() const;

  // Checks an `authorization` header value ("Bearer <key>"): UNAUTHENTICATED
  // saying what to send unless it names a key; then RESOURCE_EXHAUSTED, with
  // when to retry, when the key has used its requests (or tokens) for now.
  // Counts the request against the key's quota when it is let through.
  // `*name` is the key's name whenever the key is valid.
  absl::Status Admit(absl::string_view authorization, std::string* name);

  // Whether the key named `name` is marked admin=true.
  bool IsAdmin(absl::string_view name) const;

  // Charges tokens the key's request used (input when validated, output
  // when answered). The bucket may go below zero: that key's next requests
  // wait until it has refilled.
  void ChargeTokens(absl::string_view name, int64_t tokens);

 private:
  struct Bucket {
    double level = 0;  // allowance left
    absl::Time updated;
  };
  struct Entry {
    ApiKey key;
    Bucket requests;
    Bucket tokens;
  };
  // Refills `bucket` for the time since it was updated.
  static void Refill(Bucket& bucket, int per_minute, absl::Time now);

  const Clock* const clock_;
  mutable absl::Mutex mu_;
  // By SHA-256 of the key.
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> by_hash_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry*> by_name_ ABSL_GUARDED_BY(mu_);
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_ACCESS_API_KEYS_H_
