// TranslateDocument over a real channel with the bundled model: plain text
// keeps its layout and translates each sentence as Translate would; an HTML
// page with nested inline markup comes back well-formed with the tags on
// the words they covered (a hand-checked sample), its untranslatable parts
// byte for byte; bad documents get a reason; an answer over the message
// limit is refused before it is sent.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;

// Whether every element closed is the one last opened (void elements and
// comments aside): the shape a well-formed document has.
bool Balanced(const std::string& html, std::string* why) {
  static const std::vector<std::string> kVoid = {"br", "img",   "meta", "link",
                                                 "hr", "input", "wbr"};
  std::vector<std::string> open;
  for (size_t at = html.find('<'); at != std::string::npos;
       at = html.find('<', at + 1)) {
    if (html.compare(at, 4, "<!--") == 0) {
      at = html.find("-->", at);
      if (at == std::string::npos) break;
      continue;
    }
    if (html.compare(at, 2, "<!") == 0) continue;
    const size_t end = html.find('>', at);
    if (end == std::string::npos) break;
    std::string tag = html.substr(at + 1, end - at - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    if (closing) tag = tag.substr(1);
    tag = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (std::find(kVoid.begin(), kVoid.end(), tag) != kVoid.end()) continue;
    if (!closing) {
      open.push_back(tag);
      if (tag == "style" || tag == "script" || tag == "pre") {
        at = html.find("</" + tag, end);  // raw text up to its end tag
        if (at == std::string::npos) break;
        --at;
      }
      continue;
    }
    if (open.empty() || open.back() != tag) {
      *why = absl::StrCat("</", tag, "> at byte ", at, " closes <",
                          open.empty() ? "nothing" : open.back(), ">");
      return false;
    }
    open.pop_back();
  }
  if (!open.empty()) *why = absl::StrCat("<", open.back(), "> never closed");
  return open.empty();
}

class TranslateDocumentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ServerProcess::Start(
        {absl::StrCat("--model=", GLOSSA_SOURCE_DIR, "/models/de-en")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { stub_ = server_->NewStub(); }

  grpc::Status Call(const std::string& document, v1::DocumentFormat format,
                    v1::TranslateDocumentResponse* response) {
    v1::TranslateDocumentRequest request;
    request.set_document(document);
    request.set_format(format);
    request.mutable_options()->set_beam_size(4);
    auto context = ContextWithTimeout();
    return stub_->TranslateDocument(context.get(), request, response);
  }
  std::string Sentence(const std::string& text) {
    v1::TranslateRequest request = TranslateRequestOf({text});
    request.mutable_options()->set_beam_size(4);
    v1::TranslateResponse response;
    auto context = ContextWithTimeout();
    EXPECT_TRUE(stub_->Translate(context.get(), request, &response).ok());
    return response.translations(0).hypotheses(0).text();
  }

  static ServerProcess* server_;
  std::unique_ptr<v1::Glossa::Stub> stub_;
};

ServerProcess* TranslateDocumentTest::server_ = nullptr;

TEST_F(TranslateDocumentTest, PlainTextKeepsItsLayout) {
  const std::string document =
      "Das Haus ist klein. Der Hund schläft im Garten.\n"
      "\n"
      "   Wir sehen uns morgen.  \n"
      "Ich habe heute keine Zeit.\n";
  v1::TranslateDocumentResponse response;
  ASSERT_TRUE(Call(document, v1::DOCUMENT_FORMAT_TEXT, &response).ok());
  EXPECT_EQ(response.sentences(), 4);
  EXPECT_EQ(response.document(),
            absl::StrCat(Sentence("Das Haus ist klein."), " ",
                         Sentence("Der Hund schläft im Garten."), "\n\n   ",
                         Sentence("Wir sehen uns morgen."), "  \n",
                         Sentence("Ich habe heute keine Zeit."), "\n"));
  EXPECT_GT(response.usage().input_tokens(), 20);
}

TEST_F(TranslateDocumentTest, HtmlMarkupLandsOnTheTranslatedWords) {
  const std::string head =
      "<!DOCTYPE html>\n<html><head><title>Das Haus</title>"
      "<style>p > b { color: red; }</style></head>\n<body>\n";
  const std::string kept =
      "<pre>Der Code bleibt.</pre>\n<!-- Kommentar bleibt -->\n"
      "<script>var s = \"<b>Das Haus</b>\";</script>\n";
  const std::string document = absl::StrCat(
      head, "<h1>Das Haus ist klein.</h1>\n",
      "<p>Ich habe einen <a href=\"/hund\"><b>kleinen Hund</b></a>. ",
      "Der Hund schläft im <i>Garten</i>.</p>\n",
      "<p>Ich habe heute <em>keine</em> Zeit.<br>Das Haus ist klein.</p>\n",
      kept, "</body></html>\n");
  v1::TranslateDocumentResponse response;
  const grpc::Status status =
      Call(document, v1::DOCUMENT_FORMAT_HTML, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string& out = response.document();
  std::string why;
  EXPECT_TRUE(Balanced(out, &why)) << why << "\n" << out;
  // Untranslated parts, byte for byte.
  EXPECT_THAT(out, HasSubstr(kept));
  EXPECT_THAT(out, HasSubstr("<style>p > b { color: red; }</style>"));
  EXPECT_TRUE(absl::StartsWith(out, "<!DOCTYPE html>\n<html><head><title>"));
  // The hand-checked sample: the nested link and bold stay nested, with
  // their attribute, around the dog; the italic garden stays the garden;
  // the line break stays between the two sentences.
  // ("einen kleinen Hund" -> "a small dog": the article aligns into the
  // bold words, the model's choice.)
  EXPECT_THAT(out, HasSubstr("<a href=\"/hund\"><b>a small dog</b></a>."))
      << out;
  EXPECT_THAT(out, HasSubstr("<i>the garden</i>.")) << out;
  EXPECT_THAT(out, HasSubstr("<em>no</em>")) << out;
  EXPECT_THAT(out, HasSubstr(".<br>The house is small.")) << out;
  EXPECT_THAT(out, HasSubstr("<h1>The house is small.</h1>")) << out;
  EXPECT_EQ(response.sentences(), 6);  // title, h1, 2 + 2 in the paragraphs
}

TEST_F(TranslateDocumentTest, BadDocumentsGetAReason) {
  v1::TranslateDocumentResponse response;
  grpc::Status status =
      Call("Das Haus \xff ist klein.", v1::DOCUMENT_FORMAT_TEXT, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("offset 9"));

  status = Call(std::string(1200000, 'a'), v1::DOCUMENT_FORMAT_TEXT, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("the limit is"));

  std::string many;
  for (int i = 0; i < 2100; ++i) many += "Ja.\n";
  status = Call(many, v1::DOCUMENT_FORMAT_TEXT, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sentences"));

  std::string long_sentence = "Das";
  for (int i = 0; i < 700; ++i) long_sentence += " Haus";
  status = Call(absl::StrCat("Gut.\n", long_sentence, ".\n"),
                v1::DOCUMENT_FORMAT_TEXT, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sentences[1]"));
  EXPECT_LE(status.error_message().size(), 512u);

  // A blank document is answered as it came, and the server still serves.
  ASSERT_TRUE(Call(" \n\n ", v1::DOCUMENT_FORMAT_TEXT, &response).ok());
  EXPECT_EQ(response.document(), " \n\n ");
  EXPECT_EQ(response.sentences(), 0);
  ASSERT_TRUE(Call("<p>Gut.</p>", v1::DOCUMENT_FORMAT_HTML, &response).ok());
}

// An answer over --max_message_bytes is refused before it is sent, with a
// reason, on both RPCs (gRPC would otherwise fail it in the transport after
// the work, recorded as OK); the input was within the limit.
TEST(AnswerSizeTest, AnAnswerOverTheMessageLimitIsRefusedWithAReason) {
  auto server = ServerProcess::Start(
      {absl::StrCat("--model=", GLOSSA_SOURCE_DIR, "/models/de-en"),
       "--max_message_bytes=8192"});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = (*server)->NewStub();
  v1::TranslateDocumentRequest document;
  for (int i = 0; i < 120; ++i) document.mutable_document()->append("Ja.\n");
  document.mutable_options()->set_beam_size(1);
  document.mutable_options()->set_min_output_tokens(80);
  v1::TranslateDocumentResponse translated;
  auto context = ContextWithTimeout();
  grpc::Status status =
      stub->TranslateDocument(context.get(), document, &translated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("over --max_message_bytes (8192)"));

  v1::TranslateRequest request =
      TranslateRequestOf(std::vector<std::string>(8, "Das Haus ist klein."));
  request.mutable_options()->set_beam_size(1);
  request.mutable_options()->set_return_token_logprobs(true);
  request.mutable_options()->set_token_alternatives(10);
  request.mutable_options()->set_min_output_tokens(40);
  v1::TranslateResponse response;
  context = ContextWithTimeout();
  status = stub->Translate(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("fewer output tokens"));
  EXPECT_EQ((*server)->Metric("glossa_requests_total{rpc=\"TranslateDocument\","
                              "code=\"RESOURCE_EXHAUSTED\"}"),
            1);
  EXPECT_EQ((*server)->Metric("glossa_requests_total{rpc=\"Translate\","
                              "code=\"RESOURCE_EXHAUSTED\"}"),
            1);
  // HTTP: 413 (the request asked for too much), not 429 with Retry-After.
  const auto [rc, http] = RunShell(absl::StrCat(
      "python3 -c 'import json, urllib.request, urllib.error\n"
      "body = json.dumps({\"document\": \"Ja.\\n\" * 120, \"options\": "
      "{\"beamSize\": 1, \"minOutputTokens\": 80}}).encode()\n"
      "try:\n"
      "  urllib.request.urlopen(\"http://127.0.0.1:",
      (*server)->http_port(),
      "/v1/translate_document\", body)\n"
      "except urllib.error.HTTPError as e:\n"
      "  print(e.code, e.headers.get(\"Retry-After\"), e.read().decode())'"));
  EXPECT_EQ(rc, 0) << http;
  EXPECT_THAT(http, ::testing::StartsWith("413 None "));
  EXPECT_THAT(http, HasSubstr("over --max_message_bytes (8192)"));
  // Smaller answers still go out.
  request.mutable_options()->clear_token_alternatives();
  context = ContextWithTimeout();
  EXPECT_TRUE(stub->Translate(context.get(), request, &response).ok());
}

}  // namespace
}  // namespace glossa::testing
