// The HTML tokenizer and the entity rules that the document library and
// LibreTranslate's format=html share.
#include "server/documents/html_tokens.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/documents/html_entities.h"

namespace glossa::server {
namespace {

std::string Describe(absl::string_view html) {
  std::string out;
  for (const HtmlToken& token : TokenizeHtml(html)) {
    const char* kind = "";
    switch (token.kind) {
      case HtmlTokenKind::kText:
        kind = "text";
        break;
      case HtmlTokenKind::kEntity:
        kind = "entity";
        break;
      case HtmlTokenKind::kOpenTag:
        kind = token.self_closing ? "void" : "open";
        break;
      case HtmlTokenKind::kCloseTag:
        kind = "close";
        break;
      case HtmlTokenKind::kVerbatim:
        kind = "kept";
        break;
    }
    out += std::string(kind) + "(" + token.name + ")[" +
           std::string(html.substr(token.begin, token.end - token.begin)) +
           "] ";
  }
  return out;
}

TEST(HtmlTokensTest, TokensCoverTheDocumentInOrder) {
  EXPECT_EQ(Describe("<P class=\"a > b\">Hi &amp; bye<br/></P>"),
            "open(p)[<P class=\"a > b\">] text()[Hi ] entity()[&amp;] "
            "text()[ bye] void(br)[<br/>] close(p)[</P>] ");
  EXPECT_EQ(
      Describe("<!DOCTYPE html><!-- a <b> --><?php x ?>"),
      "kept()[<!DOCTYPE html>] kept()[<!-- a <b> -->] kept()[<?php x ?>] ");
}

TEST(HtmlTokensTest, RawAndCodeElementsAreKeptWhole) {
  EXPECT_EQ(Describe("<SCRIPT>if (a</b) x='</p>';</SCRIPT >t"),
            "kept(script)[<SCRIPT>if (a</b) x='</p>';</SCRIPT >] text()[t] ");
  EXPECT_EQ(Describe("<code>x<y</codex></code><pre>never closed"),
            "kept(code)[<code>x<y</codex></code>] kept(pre)[<pre>never "
            "closed] ");
}

TEST(HtmlTokensTest, StrayLessThanIsTextAndUnclosedTagsAreKept) {
  EXPECT_EQ(Describe("a < b <3 c<"), "text()[a < b <3 c<] ");
  EXPECT_EQ(Describe("x <b class='y"), "text()[x ] kept()[<b class='y] ");
}

TEST(HtmlEntitiesTest, EveryHtml5ReferenceDecodesAndOthersStayAsWritten) {
  EXPECT_EQ(DecodeHtmlEntities("Tom &amp; Jerry &lt;3 &#252;ber &#xE4; &copy;"),
            "Tom & Jerry <3 über ä ©");
  // Named references beyond the few of HTML 4's XML subset: the whole
  // WHATWG table, two-code-point ones included.
  EXPECT_EQ(
      DecodeHtmlEntities("&Auml;&szlig; &mdash; &hellip; &euro; "
                         "&CounterClockwiseContourIntegral; &NotEqualTilde;"),
      "Äß — … € \u2233 \u2242\u0338");
  EXPECT_EQ(DecodeHtmlEntities("&#0; &#xD800; &bogus; & alone &#x110000; "
                               "&#+65; &# 65; &#x; &;"),
            "&#0; &#xD800; &bogus; & alone &#x110000; &#+65; &# 65; &#x; &;");
  // A '&' that starts no reference does not hide one right after it.
  EXPECT_EQ(DecodeHtmlEntities("&x&amp;"), "&x&");
  std::string out;
  EXPECT_EQ(DecodeHtmlEntityAt("a&nbsp;", 1, &out), 6u);
  EXPECT_EQ(out, "\xC2\xA0");
  // Legacy names are read without ';' too, as browsers read text: the
  // longest one the letters begin with. Others need their ';'.
  out.clear();
  EXPECT_EQ(DecodeHtmlEntityAt("a&nbsp", 1, &out), 5u);
  EXPECT_EQ(out, "\xC2\xA0");
  EXPECT_EQ(DecodeHtmlEntities("&auml &copy2024 &notit; &ampx &mdash &hellip"),
            "ä ©2024 ¬it; &x &mdash &hellip");
  // A long run of letters is read no further than the longest name.
  const std::string letters(100000, 'a');
  EXPECT_EQ(DecodeHtmlEntities("&" + letters + ";"), "&" + letters + ";");
}

TEST(HtmlEntitiesTest, EscapingWritesEveryOtherCharacterAsItIs) {
  EXPECT_EQ(EscapeHtmlText("a & b < c > d \"e\" \u00E4\u00DF\u2014"),
            "a &amp; b &lt; c &gt; d \"e\" \u00E4\u00DF\u2014");
  // The text was decoded: a '&' in it is a character, also where it
  // spells a reference (the source wrote "&amp;copy;").
  EXPECT_EQ(EscapeHtmlText("&copy; R&D &amp x &;"),
            "&amp;copy; R&amp;D &amp;amp x &amp;;");
}

}  // namespace
}  // namespace glossa::server
