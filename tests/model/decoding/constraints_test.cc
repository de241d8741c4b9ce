// The bookkeeping of terminology constraints (dynamic beam allocation) on
// its own: phrase progress, the tokens offered, and the share-out of beams.
#include "model/decoding/constraints.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace glossa::model {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const std::vector<std::vector<int>>& Phrases() {
  static const auto* phrases =
      new std::vector<std::vector<int>>{{7, 8, 9}, {4}, {7, 5}};
  return *phrases;
}

ConstraintState Feed(std::vector<int> tokens) {
  ConstraintState state = ConstraintState::Start(3);
  for (const int token : tokens) {
    state = AdvanceConstraints(Phrases(), state, token);
  }
  return state;
}

TEST(ConstraintsTest, PhrasesAreMetInAnyOrder) {
  EXPECT_FALSE(Feed({}).AllMet());
  const ConstraintState state = Feed({4, 1, 7, 8, 9, 2, 7, 5});
  EXPECT_TRUE(state.AllMet());
  EXPECT_EQ(state.met_tokens, 6);
  EXPECT_EQ(state.phrase, -1);
}

TEST(ConstraintsTest, AnAbandonedPhraseLosesItsProgress) {
  ConstraintState state = Feed({7, 8});
  EXPECT_EQ(state.phrase, 0);
  EXPECT_EQ(state.met_tokens, 2);
  state = AdvanceConstraints(Phrases(), state, 3);
  EXPECT_EQ(state.phrase, -1);
  EXPECT_EQ(state.met_tokens, 0);
  // A token that breaks one phrase may begin another.
  state = AdvanceConstraints(Phrases(), Feed({7, 8}), 4);
  EXPECT_TRUE(state.met[1]);
  EXPECT_EQ(state.met_tokens, 1);
}

TEST(ConstraintsTest, OffersTheNextTokenOrEveryUnmetStart) {
  EXPECT_THAT(ConstraintTokens(Phrases(), Feed({})),
              UnorderedElementsAre(7, 4, 7));
  EXPECT_THAT(ConstraintTokens(Phrases(), Feed({7})), ElementsAre(8));
  EXPECT_THAT(ConstraintTokens(Phrases(), Feed({4})),
              UnorderedElementsAre(7, 7));
  EXPECT_TRUE(ConstraintTokens(Phrases(), Feed({4, 7, 8, 9, 7, 5})).empty());
}

BankedCandidate Make(float score, int bank, int token) {
  return {{score, /*parent=*/0, token}, bank};
}

std::vector<int> Tokens(const std::vector<BankedCandidate>& picked) {
  std::vector<int> tokens;
  for (const BankedCandidate& c : picked) tokens.push_back(c.candidate.token);
  return tokens;
}

TEST(ConstraintsTest, EveryBankGetsItsShareBestFirst) {
  // Bank 0 holds the best scores, but banks 1 and 2 keep their slots.
  const std::vector<BankedCandidate> pool = {
      Make(-1, 0, 1), Make(-2, 0, 2), Make(-3, 0, 3),  Make(-4, 0, 4),
      Make(-9, 1, 5), Make(-8, 1, 6), Make(-20, 2, 7), Make(-30, 2, 8)};
  // 4 beams over 3 banks: 1 each, the remainder to the highest bank.
  EXPECT_THAT(Tokens(AllocateBeams(pool, 3, 4)), ElementsAre(1, 6, 7, 8));
  // 6 beams: 2 each.
  EXPECT_THAT(Tokens(AllocateBeams(pool, 3, 6)), ElementsAre(1, 2, 6, 5, 7, 8));
}

TEST(ConstraintsTest, UnfilledSlotsMoveToOtherBanksHighestFirst) {
  const std::vector<BankedCandidate> pool = {
      Make(-1, 0, 1), Make(-2, 0, 2), Make(-3, 0, 3), Make(-5, 1, 4),
      Make(-6, 1, 5), Make(-7, 1, 6), Make(-8, 1, 7)};
  // Bank 2 is empty: its two slots go to bank 1, not to bank 0's better
  // scores.
  EXPECT_THAT(Tokens(AllocateBeams(pool, 3, 6)), ElementsAre(1, 2, 4, 5, 6, 7));
  // Fewer candidates than beams: all of them.
  EXPECT_EQ(AllocateBeams({Make(-1, 0, 1)}, 3, 4).size(), 1u);
}

}  // namespace
}  // namespace glossa::model
