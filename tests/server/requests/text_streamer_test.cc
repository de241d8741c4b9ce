#include "server/requests/text_streamer.h"

#include <string>
#include <vector>

#include "base/utf8.h"
#include "gtest/gtest.h"
#include "tests/server/fake_engine.h"

namespace glossa::server {
namespace {

using testing::ByteCodec;
using testing::ByteToken;

// Feeds `text` byte by byte (one token per byte) and returns the deltas.
std::vector<std::string> Stream(TextStreamer& streamer, absl::string_view text,
                                bool* stopped = nullptr) {
  std::vector<std::string> deltas;
  for (unsigned char c : text) {
    TextStreamer::Update update = streamer.Append(ByteToken(c));
    deltas.push_back(update.delta);
    if (update.stopped) {
      if (stopped != nullptr) *stopped = true;
      return deltas;
    }
  }
  deltas.push_back(streamer.Finish().delta);
  return deltas;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string all;
  for (const std::string& part : parts) all += part;
  return all;
}

TEST(TextStreamerTest, AsciiStreamsOneTokenAtATime) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {});
  const auto deltas = Stream(streamer, "Hi!");
  EXPECT_EQ(deltas, (std::vector<std::string>{"H", "i", "!", ""}));
  EXPECT_EQ(streamer.text(), "Hi!");
}

TEST(TextStreamerTest, HoldsBackBytesOfAnIncompleteCharacter) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {});
  // "ä" = C3 A4, "€" = E2 82 AC: no delta may split them.
  const auto deltas = Stream(streamer, "a\xC3\xA4\xE2\x82\xAC.");
  EXPECT_EQ(deltas, (std::vector<std::string>{"a", "", "\xC3\xA4", "", "",
                                              "\xE2\x82\xAC", ".", ""}));
  for (const std::string& delta : deltas) EXPECT_TRUE(base::IsValidUtf8(delta));
}

TEST(TextStreamerTest, FinishReleasesAnIncompleteTailAsReplacement) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {});
  EXPECT_EQ(streamer.Append(ByteToken('a')).delta, "a");
  EXPECT_EQ(streamer.Append(0xE2 + 3).delta, "");
  const std::string tail = streamer.Finish().delta;
  EXPECT_TRUE(base::IsValidUtf8(tail));
  EXPECT_EQ(tail, "\xEF\xBF\xBD");
}

TEST(TextStreamerTest, StopSequenceEndsTheTextBeforeIt) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {"END"});
  bool stopped = false;
  const auto deltas = Stream(streamer, "abc ENDxyz", &stopped);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(streamer.text(), "abc ");
  EXPECT_EQ(Join(deltas), "abc ");
  EXPECT_EQ(streamer.matched_stop(), "END");
  // Nothing that could start the stop sequence was sent early.
  EXPECT_EQ(deltas[4], "");  // "E" held back
  EXPECT_EQ(deltas[5], "");  // "EN" held back
}

TEST(TextStreamerTest, HeldBackPrefixIsReleasedWhenItDoesNotMatch) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {"END"});
  bool stopped = false;
  const auto deltas = Stream(streamer, "ENough", &stopped);
  EXPECT_FALSE(stopped);
  EXPECT_EQ(deltas[0], "");
  EXPECT_EQ(deltas[1], "");
  EXPECT_EQ(deltas[2], "ENo");
  EXPECT_EQ(Join(deltas), "ENough");
}

TEST(TextStreamerTest, EarliestOfSeveralStopSequencesWins) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {"world", "lo w"});
  bool stopped = false;
  Stream(streamer, "hello world", &stopped);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(streamer.text(), "hel");
  EXPECT_EQ(streamer.matched_stop(), "lo w");
}

TEST(TextStreamerTest, HeldBackTextIsFlushedAtTheEnd) {
  ByteCodec codec;
  TextStreamer streamer(&codec, {"STOP"});
  const auto deltas = Stream(streamer, "a ST");
  EXPECT_EQ(deltas.back(), "ST");
  EXPECT_EQ(streamer.text(), "a ST");
}

TEST(TextStreamerTest, DeltasConcatenateToTheFullDecode) {
  ByteCodec codec;
  const std::string text = "Grüße, 世界! — ok";
  TextStreamer streamer(&codec, {"\xE4\xB8\x96\xE7\x95\x8C?"});
  const auto deltas = Stream(streamer, text);
  EXPECT_EQ(Join(deltas), text);
  EXPECT_EQ(streamer.text(), text);
}

}  // namespace
}  // namespace glossa::server
