// T5's relative position buckets against values torch computes with
// transformers' _relative_position_bucket (32 buckets, max_distance 128):
// exact offsets, the logarithmic range with its boundaries at 16, 32 and
// 64, and the last bucket past max_distance.
#include "model/transformer/positions.h"

#include "gtest/gtest.h"

namespace glossa::model {
namespace {

struct Case {
  int relative_position;
  int bucket;
};

TEST(RelativePositionBucketTest, BidirectionalMatchesTransformers) {
  // Later keys take the upper half (16 + ...).
  const Case cases[] = {{0, 0},   {-8, 8},   {-15, 9},  {-16, 10}, {7, 23},
                        {8, 24},  {15, 25},  {16, 26},  {31, 27},  {32, 28},
                        {64, 30}, {127, 31}, {128, 31}, {500, 31}, {-500, 15}};
  for (const Case& c : cases) {
    EXPECT_EQ(RelativePositionBucket(c.relative_position, true, 32, 128),
              c.bucket)
        << c.relative_position;
  }
}

TEST(RelativePositionBucketTest, CausalMatchesTransformers) {
  // Keys after the query (never visible in a decoder) share bucket 0.
  const Case cases[] = {{0, 0},     {5, 0},    {-15, 15}, {-16, 16},
                        {-17, 16},  {-31, 21}, {-32, 21}, {-64, 26},
                        {-128, 31}, {-500, 31}};
  for (const Case& c : cases) {
    EXPECT_EQ(RelativePositionBucket(c.relative_position, false, 32, 128),
              c.bucket)
        << c.relative_position;
  }
}

}  // namespace
}  // namespace glossa::model
