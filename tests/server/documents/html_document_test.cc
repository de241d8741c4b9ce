// Document on HTML: blocks and sentences, markup kept as written, inline
// markup moved onto the aligned words, and malformed input.
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/documents/document.h"
#include "tests/server/documents/document_test_util.h"

namespace glossa::server {
namespace {

using ::testing::ElementsAre;
using testing::Identity;
using ::testing::IsEmpty;
using testing::Translate;
using testing::TranslatePieces;
using testing::WellFormedProblem;

Document ParseHtml(absl::string_view html, absl::string_view language = "en") {
  absl::StatusOr<Document> document =
      Document::Parse(html, DocumentFormat::kHtml, language, {});
  EXPECT_TRUE(document.ok()) << document.status();
  return *std::move(document);
}

// The document rendered with one translation per sentence.
std::string RenderHtml(absl::string_view html,
                       const std::vector<SentenceTranslation>& translations) {
  const Document document = ParseHtml(html);
  absl::StatusOr<std::string> out = document.Render(translations);
  EXPECT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(WellFormedProblem(*out), "") << *out;
  return *out;
}

constexpr absl::string_view kPage = R"(<!DOCTYPE html>
<html lang="de">
<head>
  <meta charset="utf-8">
  <title>Ein kleiner Test</title>
  <style>p > b { color: red; }</style>
  <script>if (a < b && c) { document.write("<p>Nicht. Das.</p>"); }</script>
</head>
<body>
  <!-- Ein Kommentar. <b>Nicht</b> übersetzen. -->
  <h1 class="title" id=top>Hallo <em>Welt</em>!</h1>
  <p>Dies ist <a href="https://example.com/?a=1&amp;b=2" title='Ein "Link"'>ein <b>wichtiger</b> Link</a>. Zweiter Satz hier.</p>
  <ul>
    <li>Erstens &amp; zweitens &lt;drittens&gt;</li>
    <li>Dr. Müller kommt.<br>Neue Zeile.</li>
  </ul>
  <pre>  Code.   Bleibt.  </pre>
  <p>Ruf <code>foo(1 &lt; 2)</code> auf. <textarea>Nicht. Das.</textarea></p>
  <table><tr><td>Zelle eins.</td><th>Kopf</th></tr></table>
</body>
</html>
)";

TEST(HtmlDocumentTest, BlocksAreSentencesAndInlineTagsAreNot) {
  const Document document = ParseHtml(kPage, "de");
  EXPECT_THAT(document.sentences(),
              ElementsAre("Ein kleiner Test", "Hallo Welt!",
                          "Dies ist ein wichtiger Link.", "Zweiter Satz hier.",
                          "Erstens & zweitens <drittens>", "Dr. Müller kommt.",
                          "Neue Zeile.", "Ruf auf.", "Zelle eins.", "Kopf"));
}

TEST(HtmlDocumentTest, IdentityTranslationGivesThePageBackByteForByte) {
  const Document document = ParseHtml(kPage, "de");
  EXPECT_EQ(*document.Render(Identity(document)), kPage);
}

TEST(HtmlDocumentTest, EverythingButTheTextIsKept) {
  const Document document = ParseHtml(kPage, "de");
  std::vector<SentenceTranslation> upper;
  upper.resize(document.sentences().size(), {"X", {}});
  const std::string out = *document.Render(upper);
  EXPECT_EQ(WellFormedProblem(out), "");
  for (const absl::string_view kept :
       {"<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n  <meta "
        "charset=\"utf-8\">",
        "<style>p > b { color: red; }</style>",
        "<script>if (a < b && c) { document.write(\"<p>Nicht. Das.</p>\"); "
        "}</script>",
        "<!-- Ein Kommentar. <b>Nicht</b> übersetzen. -->",
        "<h1 class=\"title\" id=top>", "<pre>  Code.   Bleibt.  </pre>",
        "<code>foo(1 &lt; 2)</code>", "<textarea>Nicht. Das.</textarea>",
        "<a href=\"https://example.com/?a=1&amp;b=2\" title='Ein \"Link\"'>"}) {
    EXPECT_THAT(out, ::testing::HasSubstr(std::string(kept)));
  }
}

TEST(HtmlDocumentTest, TagsFollowTheirWords) {
  // the <b>red</b> house -> das <b>rote</b> Haus
  EXPECT_EQ(
      RenderHtml("<p>the <b>red</b> house</p>",
                 {Translate("the red house", "das rote Haus", {0, 1, 2})}),
      "<p>das <b>rote</b> Haus</p>");
  // Reordered: the element goes where its word went.
  EXPECT_EQ(RenderHtml("<p>I <i>really</i> like <b>cats</b></p>",
                       {Translate("I really like cats",
                                  "Ich mag Katzen wirklich", {0, 2, 3, 1})}),
            "<p>Ich mag <b>Katzen</b> <i>wirklich</i></p>");
  // An adjective moved behind its noun: the tag moves with it.
  EXPECT_EQ(RenderHtml("<p>a <em>big</em> house.</p>",
                       {Translate("a big house.", "une maison grande.",
                                  {0, 2, 1, 3})}),
            "<p>une maison <em>grande</em>.</p>");
}

TEST(HtmlDocumentTest, NestedMarkupStaysNestedWithItsAttributes) {
  const std::string html =
      "<p>See <a href=\"x\" class='c'><b>this</b> page</a> now.</p>";
  EXPECT_EQ(
      RenderHtml(html, {Translate("See this page now.",
                                  "Sieh jetzt diese Seite.", {0, 3, 1, 2, 4})}),
      "<p>Sieh jetzt <a href=\"x\" class='c'><b>diese</b> "
      "Seite</a>.</p>");
  // The link's words are split by one outside it: it covers the minimal
  // span, the stray word included, and its child stays inside.
  EXPECT_EQ(
      RenderHtml(html, {Translate("See this page now.",
                                  "Diese sieh Seite jetzt.", {1, 0, 2, 3, 4})}),
      "<p><a href=\"x\" class='c'><b>Diese</b> sieh Seite</a> "
      "jetzt.</p>");
}

TEST(HtmlDocumentTest, VoidElementsGoBeforeTheWordAfterThem) {
  // <br> stood before "two", <img> before "three".
  EXPECT_EQ(RenderHtml("<p>One<br>two <img src=\"a.png\" alt=\"A\"> three.</p>",
                       {Translate("One two three.", "drei, zwei eins.",
                                  {2, -1, 1, 0, 3})}),
            "<p><img src=\"a.png\" alt=\"A\">drei,<br>zwei eins.</p>");
  // A void element between two spaces stays a word of its own.
  EXPECT_EQ(RenderHtml(
                "<p>Press <img src=k.png> to go.</p>",
                {Translate("Press to go.", "Drücke zum Gehen.", {0, 1, 2, 3})}),
            "<p>Drücke <img src=k.png> zum Gehen.</p>");
  // A <br> between two words stands for the space between them.
  const Document lines = ParseHtml("<p>One<br>two<br/>\nthree.</p>");
  EXPECT_THAT(lines.sentences(), ElementsAre("One two three."));
  EXPECT_EQ(*lines.Render(Identity(lines)), "<p>One<br>two<br/>three.</p>");
}

TEST(HtmlDocumentTest, TagsNeverLandInsideAWordOfSubwordPieces) {
  // Target tokens are subword pieces; these are the server's own outputs
  // from before tags were moved to word edges.
  // Was "<p>st<br>ealing</p>".
  EXPECT_EQ(RenderHtml("<p>streichen <br>und tapezierend</p>",
                       {TranslatePieces("streichen und tapezierend",
                                        {{"st", 0}, {"eal", 1}, {"ing", 2}})}),
            "<p><br>stealing</p>");
  // Was "... <a href="x">The dog s</a>lucks in the garden.</p>".
  EXPECT_EQ(RenderHtml(
                "<p>Das Haus <a href=\"x\">ist klein. Der Hund schläft</a> im "
                "Garten.</p>",
                {Translate("Das Haus ist klein.", "The house is small.",
                           {0, 1, 2, 3, 4}),
                 TranslatePieces("Der Hund schläft im Garten.", {{"The", 0},
                                                                 {" dog", 1},
                                                                 {" s", 2},
                                                                 {"lucks", 3},
                                                                 {" in", 3},
                                                                 {" the", 4},
                                                                 {" garden", 4},
                                                                 {".", 5}})}),
            "<p>The house <a href=\"x\">is small.</a> <a href=\"x\">The dog "
            "slucks</a> in the garden.</p>");
  // Was "<p>She see<code>ls -la</code> here.</p>": a kept element that
  // stood between spaces keeps a space on both sides.
  EXPECT_EQ(
      RenderHtml("<p>Siehe <code>ls -la</code> hier.</p>",
                 {TranslatePieces(
                     "Siehe hier.",
                     {{"She", 0}, {" see", 0}, {" here", -1}, {".", -1}})}),
      "<p>She see <code>ls -la</code> here.</p>");
  // Inside a word in the source, inside a word in the translation.
  EXPECT_EQ(RenderHtml("<p>H<sub>2</sub>O ist nass.</p>",
                       {{"H2O is wet.", {{0, 1, 0, 1}, {1, 2, 1, 2}}}}),
            "<p>H<sub>2</sub>O is wet.</p>");
}

TEST(HtmlDocumentTest, AnElementWithoutAlignedWordsStaysEmpty) {
  // "<b>very</b>" has no aligned target word: an empty <b></b> before the
  // word aligned to what followed it.
  EXPECT_EQ(
      RenderHtml("<p>a <b>very</b> good idea</p>",
                 {Translate("a very good idea", "une bonne idée", {0, 2, 3})}),
      "<p>une <b></b>bonne idée</p>");
  // No alignment at all: tags keep their relative place, at a word start.
  EXPECT_EQ(RenderHtml("<p>one two <b>three</b> four</p>",
                       {{"eins zwei drei vier", {}}}),
            "<p>eins zwei <b></b>drei vier</p>");
}

TEST(HtmlDocumentTest, CrossingSiblingsAreMadeDisjoint) {
  // <b>'s words surround <i>'s: the tighter <i> keeps its word and <b>
  // keeps the free stretch with most of its words.
  EXPECT_EQ(
      RenderHtml("<p>I <b>have seen</b> the <i>film</i>.</p>",
                 {Translate("I have seen the film.",
                            "Ich habe den Film gesehen.", {0, 1, 3, 4, 2})}),
      "<p>Ich <b>habe</b> den <i>Film</i> gesehen.</p>");
}

TEST(HtmlDocumentTest, ElementsAcrossSentencesAreCutAtTheBoundary) {
  const std::string html = "<p>One <b>two. Three</b> four.</p>";
  const Document document = ParseHtml(html);
  EXPECT_THAT(document.sentences(), ElementsAre("One two.", "Three four."));
  EXPECT_EQ(*document.Render(Identity(document)),
            "<p>One <b>two.</b> <b>Three</b> four.</p>");
  // Spanning three sentences: the middle one sits inside a reopened copy.
  const std::string three = "<p>A <i class=k>b. C. D</i> e.</p>";
  const Document long_span = ParseHtml(three);
  EXPECT_EQ(*long_span.Render(Identity(long_span)),
            "<p>A <i class=k>b.</i><i class=k> C. </i><i class=k>D</i> e.</p>");
  // An element around whole sentences is not touched.
  const std::string around = "<p><span lang=en>One. Two.</span> Three.</p>";
  const Document kept = ParseHtml(around);
  EXPECT_EQ(*kept.Render(Identity(kept)), around);
}

TEST(HtmlDocumentTest, TagsAtSentenceEdgesStayWithTheirSentence) {
  for (const std::string html :
       {"<p><b>Bold</b> start. <a href=#>Link end.</a></p>",
        "<div><i>Whole.</i> <i>Two</i> parts. Plain.</div>",
        "<p>Before <span>x</span>. <span>After</span> it.</p>"}) {
    const Document document = ParseHtml(html);
    EXPECT_EQ(*document.Render(Identity(document)), html);
  }
}

TEST(HtmlDocumentTest, TextIsEscapedAndReferencesDecoded) {
  const Document document =
      ParseHtml("<p>Tom &amp; Jerry &#x263A; &quot;hi&quot;&nbsp;there.</p>");
  EXPECT_THAT(document.sentences(),
              ElementsAre("Tom & Jerry \u263A \"hi\"\u00A0there."));
  EXPECT_EQ(*document.Render({{"<Tom> & Jerry", {}}}),
            "<p>&lt;Tom&gt; &amp; Jerry</p>");
  // Every HTML5 named reference reaches the model as its character and
  // comes back as UTF-8 (it used to reach it as "&Auml;" and come back
  // mangled, "&Aumlum;"); only &, < and > are escaped.
  const Document named =
      ParseHtml("<p>Das Haus &auml; ist &Auml;&szlig; klein.</p>");
  EXPECT_THAT(named.sentences(), ElementsAre("Das Haus ä ist Äß klein."));
  EXPECT_EQ(*named.Render(Identity(named)), "<p>Das Haus ä ist Äß klein.</p>");
  const Document other =
      ParseHtml("<p>&copy; 2024 &mdash; Glossa &amp;copy; &bogus;.</p>");
  EXPECT_THAT(other.sentences(),
              ElementsAre("© 2024 — Glossa &copy; &bogus;."));
  EXPECT_EQ(*other.Render(Identity(other)),
            "<p>© 2024 — Glossa &amp;copy; &amp;bogus;.</p>");
  // Attribute values are not translated: their references stay as
  // written.
  const std::string link = "<p><a title=\"&Auml;&copy\">&Auml;</a></p>";
  const Document attribute = ParseHtml(link);
  EXPECT_EQ(*attribute.Render(Identity(attribute)),
            "<p><a title=\"&Auml;&copy\">Ä</a></p>");
}

TEST(HtmlDocumentTest, WhiteSpaceInsideASentenceBecomesOneSpace) {
  const Document document =
      ParseHtml("<p>\n  Hello\n   big <b>\n world</b>.\n  Next.\n</p>");
  EXPECT_THAT(document.sentences(), ElementsAre("Hello big world.", "Next."));
  EXPECT_EQ(*document.Render(Identity(document)),
            "<p>\n  Hello big <b>world</b>.\n  Next.\n</p>");
}

TEST(HtmlDocumentTest, MarkupWithoutTextHasNoSentences) {
  const std::string html =
      "<html><body>\n  <div> <img src=x> </div><!-- c -->\n</body></html>";
  const Document document = ParseHtml(html);
  EXPECT_THAT(document.sentences(), IsEmpty());
  EXPECT_EQ(*document.Render({}), html);
}

TEST(HtmlDocumentTest, ElementsAcrossBlocksArePinnedToTheirSentence) {
  const std::string html =
      "<p>See <a href=x>this<div>inner</div>link</a> now.</p>";
  const Document document = ParseHtml(html);
  EXPECT_THAT(document.sentences(),
              ElementsAre("See this", "inner", "link now."));
  const std::string out =
      *document.Render({Translate("See this", "Sieh dies", {0, 1}),
                        {"innen", {}},
                        Translate("link now.", "jetzt Link.", {1, 0})});
  EXPECT_EQ(out, "<p><a href=x>Sieh dies<div>innen</div>jetzt Link.</a></p>");
  EXPECT_EQ(WellFormedProblem(out), "");
}

TEST(HtmlDocumentTest, ElementsLeftOpenAtTheirBlocksEndCloseThere) {
  // </p> closes <b> for a browser: <b> covers "klein." and is closed in
  // the output, instead of being pinned to the sentence's start, around
  // the whole translation ("<p><b>The house is small.</p>").
  EXPECT_EQ(RenderHtml("<p>Das Haus ist <b>klein.</p>",
                       {Translate("Das Haus ist klein.", "The house is small.",
                                  {0, 1, 2, 3, 4})}),
            "<p>The house is <b>small.</b></p>");
  // Nested, across sentences, and at the document's end.
  const Document nested = ParseHtml("<li>A <i>b <b>c. D</li>");
  EXPECT_THAT(nested.sentences(), ElementsAre("A b c.", "D"));
  EXPECT_EQ(*nested.Render(Identity(nested)),
            "<li>A <i>b <b>c.</b></i><i><b> D</b></i></li>");
  EXPECT_EQ(
      RenderHtml("Ende <em>hier", {Translate("Ende hier", "End here", {0, 1})}),
      "End <em>here</em>");
  // Left open in the gap after the last sentence: closed there too.
  EXPECT_EQ(RenderHtml("<p>Eins. <b> </p>", {{"One.", {}}}),
            "<p>One. <b> </b></p>");
  // A block that ends at an opening tag may be nested in the element: it
  // stays pinned, as before.
  const Document pinned = ParseHtml("<b>x<div>y</div>");
  EXPECT_EQ(*pinned.Render(Identity(pinned)), "<b>x<div>y</div>");
}

TEST(HtmlDocumentTest, RandomMarkupAndSubwordPiecesStayWellFormed) {
  // Nested inline markup over random words, some of it left open,
  // translated as random pieces (some glued into one word) with random
  // links: moving tags to word edges must keep every output well-formed
  // and every character.
  std::mt19937 random(7);
  const auto pick = [&](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(random);
  };
  for (int round = 0; round < 2000; ++round) {
    std::string html = "<p>";
    std::vector<std::string> open;
    const int words = 1 + pick(8);
    for (int w = 0; w < words; ++w) {
      if (w > 0) html += " ";
      for (int n = pick(3); n > 0; --n) {
        const char* names[] = {"b", "i", "a", "sub"};
        open.push_back(names[pick(4)]);
        html += "<" + open.back() + ">";
      }
      if (pick(6) == 0) html += "<br>";
      html += std::string(1 + pick(4), static_cast<char>('a' + pick(26)));
      if (pick(8) == 0) html += "<img src=x>";
      while (!open.empty() && pick(2) == 0) {
        html += "</" + open.back() + ">";
        open.pop_back();
      }
    }
    // Some are left for </p> to close (outer ones then too, so that the
    // input stays well nested).
    const size_t left_open = pick(3) == 0 ? pick(int(open.size()) + 1) : 0;
    while (open.size() > left_open) {
      html += "</" + open.back() + ">";
      open.pop_back();
    }
    html += "</p>";
    const Document document = ParseHtml(html);
    std::vector<SentenceTranslation> translations;
    for (const std::string& sentence : document.sentences()) {
      std::vector<std::pair<std::string, int>> pieces;
      const int source_words = int(testing::Words(sentence).size());
      for (int n = 1 + pick(10); n > 0; --n) {
        std::string piece(1 + pick(3), static_cast<char>('A' + pick(26)));
        if (!pieces.empty() && pick(2) == 0) piece.insert(0, " ");
        pieces.push_back({piece, pick(source_words + 1) - 1});
      }
      translations.push_back(TranslatePieces(sentence, pieces));
    }
    absl::StatusOr<std::string> out = document.Render(translations);
    ASSERT_TRUE(out.ok()) << html;
    ASSERT_EQ(WellFormedProblem(*out), "") << html << " -> " << *out;
    std::string text = "<p>";
    for (const SentenceTranslation& t : translations) text += t.text;
    text += "</p>";
    const std::string stripped =
        std::regex_replace(*out, std::regex("<(?!/?p>)[^<>]*>"), "");
    ASSERT_EQ(stripped, text) << html << " -> " << *out;
  }
}

TEST(HtmlDocumentTest, MalformedMarkupNeverCrashesAndKeepsItsBytes) {
  for (const std::string html : {"<p>offen",
                                 "Text <b",
                                 "<!-- nie zu",
                                 "<script>x < y",
                                 "a < b > c.",
                                 "",
                                 "   ",
                                 "<<>>",
                                 "&",
                                 "<a href=\"unterminated>Hallo</a>",
                                 "<b>x <i>y</b> z</i>.",
                                 "</b>Stray close. <i>Never closed.",
                                 "<p>One.</b> Two <i>three.</p></i>",
                                 "<b><b><b>deep</b>",
                                 "&#xD800;",
                                 "<p>a<br/>b<br>c</br>.</p>",
                                 "<code>open",
                                 "<1>2</1>",
                                 "<?x",
                                 "<p>x <span/> y.</p>",
                                 "<P>Upper <B>Case</B> tags.</P>"}) {
    absl::StatusOr<Document> document =
        Document::Parse(html, DocumentFormat::kHtml, "en", {});
    ASSERT_TRUE(document.ok()) << html;
    absl::StatusOr<std::string> out = document->Render(Identity(*document));
    ASSERT_TRUE(out.ok()) << html;
    // Every tag of the input is still in the output.
    const std::regex tag("</?[A-Za-z!?][^<>]*>");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), tag);
         it != std::sregex_iterator(); ++it) {
      EXPECT_THAT(*out, ::testing::HasSubstr(it->str())) << html;
    }
  }
  // Pinned tags keep the output well-formed where the input was only
  // misnested.
  const Document misnested = ParseHtml("<p><b>x <i>y</b> z</i>.</p>");
  EXPECT_EQ(*misnested.Render(Identity(misnested)),
            "<p><i><b>x y</b> z.</i></p>");
}

}  // namespace
}  // namespace glossa::server
