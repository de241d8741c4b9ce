// ProjectMarkup on hand-built markup: the placement rules one by one.
#include "server/documents/markup_projection.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/server/documents/document_test_util.h"

namespace glossa::server {
namespace {

using testing::Translate;
using testing::TranslatePieces;

InlineElement Element(const std::string& name, int begin, int end,
                      int parent = -1) {
  return {"<" + name + ">", "</" + name + ">", begin, end, parent, 0};
}

std::string Project(const SentenceMarkup& markup, absl::string_view source,
                    const SentenceTranslation& translation) {
  absl::StatusOr<std::string> out = ProjectMarkup(markup, source, translation);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

TEST(MarkupProjectionTest, WithoutMarkupTheTextIsOnlyEscaped) {
  SentenceMarkup markup;
  markup.prefix = "</b>";
  markup.suffix = "<b>";
  EXPECT_EQ(Project(markup, "x", {"a < b", {}}), "</b>a &lt; b<b>");
}

TEST(MarkupProjectionTest, AnElementCoversTheMinimalSpanOfItsTokens) {
  // source: "a b c d", <u> around "b c"; target "B x C D" with b->B, c->C.
  SentenceMarkup markup;
  markup.elements = {Element("u", 2, 5)};
  EXPECT_EQ(Project(markup, "a b c d",
                    Translate("a b c d", "A B x C D", {0, 1, -1, 2, 3})),
            "A <u>B x C</u> D");
}

TEST(MarkupProjectionTest, ChildrenAreClippedToTheirParent) {
  // <x> around "a"; <p> around "b c" with its child <q> around "c".
  // Target "B A C": <p>'s words surround <x>'s, so <p> keeps the first
  // free stretch ("B"), and <q>, whose "C" lies outside it, stays inside
  // <p>, empty, where "c" would have gone.
  SentenceMarkup markup;
  markup.elements = {Element("x", 0, 1), Element("p", 2, 5),
                     Element("q", 4, 5, 1)};
  EXPECT_EQ(Project(markup, "a b c", Translate("a b c", "B A C", {1, 0, 2})),
            "<p>B<q></q></p> <x>A</x> C");
}

TEST(MarkupProjectionTest, SiblingsThatWouldCrossAreSeparated) {
  // <x> around "a b", <y> around "c"; target interleaves them: A C B.
  SentenceMarkup markup;
  markup.elements = {Element("x", 0, 3), Element("y", 4, 5)};
  EXPECT_EQ(Project(markup, "a b c", Translate("a b c", "A C B", {0, 2, 1})),
            "<x>A</x> <y>C</y> B");
}

TEST(MarkupProjectionTest, AtomsArePinnedOrPlacedBeforeTheNextWord) {
  SentenceMarkup markup;
  markup.atoms = {{"<br>", 2, -1, InlineAtom::Pin::kNone, 1},
                  {"</a>", 3, -1, InlineAtom::Pin::kEnd, 2},
                  {"<a>", 1, -1, InlineAtom::Pin::kStart, 0},
                  {"<!--c-->", 7, -1, InlineAtom::Pin::kNone, 3}};
  // <br> stood before "b" (source 2): before "B". The comment stood
  // after "d", the last source word: after "D".
  EXPECT_EQ(
      Project(markup, "a b c d", Translate("a b c d", "D C B A", {3, 2, 1, 0})),
      "<a>D<!--c--> C <br>B A</a>");
}

TEST(MarkupProjectionTest, BoundariesInsideACharacterMoveToItsStart) {
  SentenceMarkup markup;
  // <b> covers part of a word ("x" of "xy"), so it is not moved to the
  // word's edges, and "ü" is two bytes: a link ending at byte 2 (inside
  // it) ends at 1.
  markup.elements = {Element("b", 0, 1)};
  EXPECT_EQ(Project(markup, "xy", {"aü", {{0, 2, 0, 1}}}), "<b>a</b>ü");
}

TEST(MarkupProjectionTest, TagsInsideAWordMoveToItsEdges) {
  // "a <b>bc</b> d" -> "A B|c D" where only the piece "B" came from "bc"
  // and "c" from "d": the closing tag goes to the end of "Bc".
  SentenceMarkup markup;
  markup.elements = {Element("b", 2, 4)};
  EXPECT_EQ(Project(markup, "a bc d",
                    TranslatePieces(
                        "a bc d", {{"A", 0}, {" B", 1}, {"c", 2}, {" D", 2}})),
            "A <b>Bc</b> D");
  // The opening tag goes to the word's start: <b> came to cover only "c".
  EXPECT_EQ(Project(markup, "a bc d",
                    TranslatePieces(
                        "a bc d", {{"A", 0}, {" B", 0}, {"c", 1}, {" D", 2}})),
            "A <b>Bc</b> D");
  // An atom (<br>, <code>...</code>) goes before the word.
  SentenceMarkup br;
  br.atoms = {{"<br>", 2, -1, InlineAtom::Pin::kNone, 0}};
  EXPECT_EQ(
      Project(br, "a b",
              TranslatePieces("a b", {{"St", 0}, {"eal", 1}, {"ing", 1}})),
      "<br>Stealing");
  // Punctuation is a word of its own: the tag stays before the stop.
  EXPECT_EQ(Project(markup, "a bc d",
                    TranslatePieces("a bc d",
                                    {{"A", 0}, {" B", 1}, {"c", 1}, {".", 2}})),
            "A <b>Bc</b>.");
}

TEST(MarkupProjectionTest, TagsInsideASourceWordAreNotMoved) {
  // H<sub>2</sub>O: the element was inside a word in the source, and
  // stays inside it in the translation.
  SentenceMarkup markup;
  markup.elements = {Element("sub", 1, 2)};
  EXPECT_EQ(Project(markup, "H2O ist",
                    {"H2O is", {{0, 1, 0, 1}, {1, 2, 1, 2}, {2, 3, 2, 3}}}),
            "H<sub>2</sub>O is");
}

TEST(MarkupProjectionTest, SiblingsSharingAWordStopAtEachOther) {
  // <u>x</u> <v>y</v> -> one word "ab": neither tag may overtake the
  // other, so the output stays well-formed, the tags inside the word.
  SentenceMarkup markup;
  markup.elements = {Element("u", 0, 1), Element("v", 2, 3)};
  const std::string out =
      Project(markup, "x y", TranslatePieces("x y", {{"a", 0}, {"b", 1}}));
  EXPECT_EQ(out, "<u>a</u><v>b</v>");
  EXPECT_EQ(testing::WellFormedProblem(out), "");
  // Nested: the child grows to the word, within its parent.
  SentenceMarkup nested;
  nested.elements = {Element("a", 0, 3), Element("b", 2, 3, 0)};
  EXPECT_EQ(Project(nested, "x y",
                    TranslatePieces("x y", {{"P", 0}, {" q", 1}, {"r", 0}})),
            "<a>P <b>qr</b></a>");
}

TEST(MarkupProjectionTest, WordsWithoutSpacesUseIcuWords) {
  // 我喜欢猫 ("I like cats"), one piece per character: <b> was around
  // "like", whose pieces are 喜 and 欢; a piece aligned elsewhere inside
  // the dictionary word 喜欢 does not leave the tag inside it.
  SentenceMarkup markup;
  markup.elements = {Element("b", 2, 6)};
  EXPECT_EQ(
      Project(markup, "I like cats",
              TranslatePieces("I like cats",
                              {{"我", 0}, {"喜", 1}, {"欢", 2}, {"猫", 2}})),
      "我<b>喜欢</b>猫");
}

TEST(MarkupProjectionTest, DeepNestingNeedsNoRecursion) {
  SentenceMarkup markup;
  std::string expected_open, expected_close;
  for (int i = 0; i < 100000; ++i) {
    markup.elements.push_back(Element("b", 0, 1, i - 1));
    expected_open += "<b>";
    expected_close += "</b>";
  }
  EXPECT_EQ(Project(markup, "x", Translate("x", "y", {0})),
            expected_open + "y" + expected_close);
}

}  // namespace
}  // namespace glossa::server
