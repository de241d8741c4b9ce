// The keys file and the per-key quotas, on a fake clock.
#include "server/access/api_keys.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/fake_engine.h"

namespace glossa::server {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;

TEST(ApiKeysTest, ParsesPlainAndHashedKeysWithQuotas) {
  // sha256("s3cret") from `printf %s s3cret | sha256sum`.
  const std::string hashed =
      "sha256:" + absl::BytesToHexString(Sha256("s3cret"));
  auto keys = ParseApiKeys(
      "# team keys\n"
      "alice  plain-key-1 requests_per_minute=30\n"
      "\n"
      "bob " +
          hashed + " tokens_per_minute=5000 requests_per_minute=2  # ok\n",
      "keys.txt");
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].name, "alice");
  EXPECT_EQ((*keys)[0].sha256, Sha256("plain-key-1"));
  EXPECT_EQ((*keys)[0].quota.requests_per_minute, 30);
  EXPECT_EQ((*keys)[0].quota.tokens_per_minute, 0);
  EXPECT_EQ((*keys)[1].sha256, Sha256("s3cret"));
  EXPECT_EQ((*keys)[1].quota.tokens_per_minute, 5000);
  EXPECT_EQ(absl::BytesToHexString(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeysTest, BadLinesNameTheFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"alice\n", "keys.txt:1: expected '<name> <key>"},
           {"ok k1\nbad/name k2\n", "keys.txt:2: name must be"},
           {"a k1\na k2\n", "keys.txt:2: name 'a' is used twice"},
           {"a k1\nb k1\n",
            "keys.txt:2: the key of 'b' is also the key of 'a'"},
           {"a sha256:abc\n", "keys.txt:1: a sha256: key must be followed"},
           {"a k1 requests_per_minute=-3\n", "needs a whole number"},
           {"a k1 colour=red\n", "unknown setting 'colour'"},
           {"# nothing\n\n", "keys.txt: holds no keys"},
       }) {
    const absl::Status status = ParseApiKeys(c.text, "keys.txt").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected)) << c.text;
  }
}

class AccessControlTest : public ::testing::Test {
 protected:
  // The key's name, or the refusal.
  absl::StatusOr<std::string> Admit(absl::string_view authorization) {
    std::string name;
    absl::Status status = access_.Admit(authorization, &name);
    if (!status.ok()) return status;
    return name;
  }
  void SetUp() override {
    auto keys = ParseApiKeys(
        "free k-free\n"
        "two k-two requests_per_minute=2\n"
        "tokens k-tokens tokens_per_minute=100\n",
        "keys");
    ASSERT_TRUE(keys.ok());
    access_.SetKeys(*std::move(keys));
  }
  FakeClock clock_;
  AccessControl access_{&clock_};
};

TEST_F(AccessControlTest, AdmitsValidBearerKeysOnly) {
  EXPECT_EQ(*Admit("Bearer k-free"), "free");
  for (absl::string_view bad :
       {"", "k-free", "Basic k-free", "Bearer k-x", "Bearer k-free "}) {
    const absl::Status status = Admit(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << bad;
  }
  EXPECT_THAT(std::string(Admit("").status().message()),
              HasSubstr("authorization: Bearer <key>"));
}

TEST_F(AccessControlTest, RequestQuotaRefillsOverTheMinute) {
  EXPECT_TRUE(Admit("Bearer k-two").ok());
  EXPECT_TRUE(Admit("Bearer k-two").ok());
  const absl::Status third = Admit("Bearer k-two").status();
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.message()),
              HasSubstr("'two' has used its 2 requests per minute; retry in "
                        "30.0 s"));
  clock_.Advance(absl::Seconds(29));
  EXPECT_FALSE(Admit("Bearer k-two").ok());
  clock_.Advance(absl::Seconds(1));  // half a minute: one request back
  EXPECT_TRUE(Admit("Bearer k-two").ok());
  EXPECT_FALSE(Admit("Bearer k-two").ok());
  // Other keys are not affected.
  EXPECT_TRUE(Admit("Bearer k-free").ok());
}

TEST_F(AccessControlTest, TokenQuotaIsChargedAfterTheFact) {
  EXPECT_TRUE(Admit("Bearer k-tokens").ok());
  access_.ChargeTokens("tokens", 150);  // 50 over: the next request waits
  const absl::Status status = Admit("Bearer k-tokens").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("100 tokens per minute; retry in 30.6 s"));
  clock_.Advance(absl::Seconds(31));
  EXPECT_TRUE(Admit("Bearer k-tokens").ok());
}

TEST_F(AccessControlTest, ReloadKeepsTheUseOfKeysThatStay) {
  EXPECT_TRUE(Admit("Bearer k-two").ok());
  EXPECT_TRUE(Admit("Bearer k-two").ok());
  auto keys = ParseApiKeys("two k-two requests_per_minute=2\nnew k-new\n", "k");
  ASSERT_TRUE(keys.ok());
  access_.SetKeys(*std::move(keys));
  EXPECT_EQ(access_.num_keys(), 2);
  EXPECT_FALSE(Admit("Bearer k-two").ok());  // still used up
  EXPECT_EQ(*Admit("Bearer k-new"), "new");
  EXPECT_EQ(Admit("Bearer k-free").status().code(),
            absl::StatusCode::kUnauthenticated);  // removed
}

}  // namespace
}  // namespace glossa::server
