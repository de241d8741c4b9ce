// ProjectMarkup on hand-built markup: the placement rules one by one.
#include "server/documents/markup_projection.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/server/documents/document_test_util.h"

namespace glossa::server {
namespace {

using testing::Translate;

InlineElement Element(const std::string& name, int begin, int end,
                      int parent = -1) {
  return {"<" + name + ">", "</" + name + ">", begin, end, parent, 0};
}

std::string Project(const SentenceMarkup& markup, absl::string_view source,
                    const SentenceTranslation& translation) {
  absl::StatusOr<std::string> out =
      ProjectMarkup(markup, static_cast<int>(source.size()), translation);
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
  markup.elements = {Element("b", 0, 1)};
  // "ü" is two bytes; a link ending at byte 2 (inside it) ends at 1.
  EXPECT_EQ(Project(markup, "x y", {"aü", {{0, 2, 0, 1}}}), "<b>a</b>ü");
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
