#include "server/http/html_text.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace glossa::server {
namespace {

// Rebuilds the document with every text run replaced by f(text).
template <typename F>
std::string Rebuild(const std::vector<HtmlPiece>& pieces, F f) {
  std::string out;
  for (const HtmlPiece& piece : pieces) {
    out += piece.is_text
               ? piece.leading_space + EscapeHtmlText(f(piece.value)) +
                     piece.trailing_space
               : piece.value;
  }
  return out;
}

std::vector<std::string> Texts(const std::vector<HtmlPiece>& pieces) {
  std::vector<std::string> texts;
  for (const HtmlPiece& piece : pieces) {
    if (piece.is_text) texts.push_back(piece.value);
  }
  return texts;
}

TEST(HtmlTextTest, TextBetweenTagsIsTranslatableAndMarkupIsKept) {
  const std::string html =
      "<p class=\"a > b\">Hallo <b>Welt</b>!</p>\n<br/><img alt='x>y'>Ende";
  const auto pieces = SplitHtml(html);
  EXPECT_EQ(Texts(pieces),
            (std::vector<std::string>{"Hallo", "Welt", "!", "Ende"}));
  // Identity translation gives the document back byte for byte.
  EXPECT_EQ(Rebuild(pieces, [](const std::string& t) { return t; }), html);
  EXPECT_EQ(Rebuild(pieces, [](const std::string& t) { return "[" + t + "]"; }),
            "<p class=\"a > b\">[Hallo] <b>[Welt]</b>[!]</p>\n<br/><img "
            "alt='x>y'>[Ende]");
}

TEST(HtmlTextTest, ScriptsStylesCodeAndCommentsAreNotTranslated) {
  const std::string html =
      "<SCRIPT>if (a < b) x = '<p>';</SCRIPT><style>p{}</style>"
      "<!-- ein <b>Kommentar</b> --><pre>  Code  </pre><code>x<y</code>Text";
  const auto pieces = SplitHtml(html);
  EXPECT_EQ(Texts(pieces), std::vector<std::string>{"Text"});
  EXPECT_EQ(Rebuild(pieces, [](const std::string& t) { return t; }), html);
}

TEST(HtmlTextTest, EntitiesAreDecodedForTheModelAndEscapedBack) {
  const auto pieces =
      SplitHtml("<i>Tom &amp; Jerry &lt;3 &#252;ber &#xE4; &copy;</i>");
  EXPECT_EQ(Texts(pieces),
            std::vector<std::string>{"Tom & Jerry <3 über ä &copy;"});
  EXPECT_EQ(EscapeHtmlText("a & b < c > d"), "a &amp; b &lt; c &gt; d");
  EXPECT_EQ(DecodeHtmlEntities("&#0; &#xD800; &bogus; & alone"),
            "&#0; &#xD800; &bogus; & alone");
}

TEST(HtmlTextTest, MalformedMarkupNeverLosesBytes) {
  for (const std::string html :
       {"<p>offen", "Text <b", "<!-- nie zu", "<script>x", "a < b > c", "",
        "   ", "<<>>", "&", "<a href=\"unterminated>Hallo</a>"}) {
    const auto pieces = SplitHtml(html);
    std::string rebuilt;
    for (const HtmlPiece& piece : pieces) {
      rebuilt += piece.is_text
                     ? piece.leading_space + piece.value + piece.trailing_space
                     : piece.value;
    }
    EXPECT_EQ(rebuilt, DecodeHtmlEntities(html)) << html;
  }
}

}  // namespace
}  // namespace glossa::server
