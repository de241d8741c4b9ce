#include "server/http/libretranslate.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "server/http/http_calls.h"
#include "server/http/http_request.h"
#include "server/http/http_status.h"
#include "server/http/language_names.h"
#include "server/requests/document_request.h"
#include "server/requests/model_languages.h"

namespace glossa::server {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";
// Beam width when alternatives are asked for and the request sets none:
// OPUS-MT's own default.
constexpr int kAlternativesBeam = 4;

struct LibreRequest {
  std::vector<std::string> q;
  bool q_is_array = false;
  std::string source, target, api_key;
  // As the body spells them (a JSON integer as its digits); ParseRequest
  // checks both for either body type.
  std::string format, alternatives_text;
  bool html = false;
  int alternatives = 0;
};

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid request: ", what));
}

// A field of a form body (urlencoded or multipart), all its values.
std::vector<std::string> FormValues(const httplib::Request& request,
                                    const std::string& name) {
  std::vector<std::string> values;
  const size_t count = request.get_param_value_count(name);
  for (size_t i = 0; i < count; ++i) {
    values.push_back(request.get_param_value(name, i));
  }
  if (values.empty() && request.has_file(name)) {
    values.push_back(request.get_file_value(name).content);
  }
  return values;
}

absl::StatusOr<LibreRequest> ParseJson(absl::string_view body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Invalid("the body is not a JSON object");
  }
  LibreRequest request;
  const auto text = [&](const char* name, std::string* out) -> absl::Status {
    auto it = parsed.find(name);
    if (it == parsed.end() || it->is_null()) return absl::OkStatus();
    if (!it->is_string())
      return Invalid(absl::StrCat(name, " must be a string"));
    *out = it->get<std::string>();
    return absl::OkStatus();
  };
  if (auto q = parsed.find("q"); q != parsed.end()) {
    if (q->is_string()) {
      request.q.push_back(q->get<std::string>());
    } else if (q->is_array()) {
      request.q_is_array = true;
      for (const json& item : *q) {
        if (!item.is_string()) return Invalid("q must hold strings only");
        request.q.push_back(item.get<std::string>());
      }
    } else {
      return Invalid("q must be a string or an array of strings");
    }
  }
  RETURN_IF_ERROR(text("source", &request.source));
  RETURN_IF_ERROR(text("target", &request.target));
  RETURN_IF_ERROR(text("api_key", &request.api_key));
  RETURN_IF_ERROR(text("format", &request.format));
  if (auto alt = parsed.find("alternatives");
      alt != parsed.end() && !alt->is_null()) {
    if (alt->is_number_integer()) {
      request.alternatives_text = alt->dump();
    } else if (alt->is_string()) {
      request.alternatives_text = alt->get<std::string>();
    } else {
      return Invalid("alternatives must be an integer");
    }
  }
  return request;
}

absl::StatusOr<LibreRequest> ParseForm(const httplib::Request& http) {
  LibreRequest request;
  request.q = FormValues(http, "q");
  request.q_is_array = request.q.size() > 1;
  const auto first = [&](const char* name) {
    std::vector<std::string> values = FormValues(http, name);
    return values.empty() ? std::string() : values.front();
  };
  request.source = first("source");
  request.target = first("target");
  request.api_key = first("api_key");
  request.format = first("format");
  request.alternatives_text = first("alternatives");
  return request;
}

absl::StatusOr<LibreRequest> ParseRequest(const httplib::Request& http) {
  const std::string type =
      absl::AsciiStrToLower(http.get_header_value("Content-Type"));
  // JSON by its type, or by its first byte: curl -d sends JSON labelled as
  // a form, and a urlencoded body cannot start with '{'.
  const bool is_json =
      absl::StartsWith(type, "application/json") ||
      (!absl::StartsWith(type, "multipart/") &&
       absl::StartsWith(absl::StripLeadingAsciiWhitespace(http.body), "{"));
  ASSIGN_OR_RETURN(LibreRequest request,
                   is_json ? ParseJson(http.body) : ParseForm(http));
  if (request.q.empty()) return Invalid("missing q parameter");
  if (request.source.empty()) return Invalid("missing source parameter");
  if (request.target.empty()) return Invalid("missing target parameter");
  if (!request.format.empty() && request.format != "text" &&
      request.format != "html") {
    return Invalid(absl::StrCat("format must be text or html, got \"",
                                base::ShortForMessage(request.format), "\""));
  }
  request.html = request.format == "html";
  if (!request.alternatives_text.empty() &&
      !absl::SimpleAtoi(request.alternatives_text, &request.alternatives)) {
    return Invalid("alternatives must be an integer");
  }
  if (request.alternatives < 0) {
    return Invalid("alternatives must be 0 or more");
  }
  return request;
}

// Checks the caller's languages against the served model, in
// LibreTranslate's words (INVALID_ARGUMENT when it does not serve them), and
// passes a multilingual model's on to `translate`, where the request
// validator resolves them like any other request's.
absl::Status CheckLanguages(const v1::ModelInfo& info,
                            const LibreRequest& request,
                            v1::TranslateRequest* translate) {
  const std::string source = absl::AsciiStrToLower(request.source);
  const std::string target = absl::AsciiStrToLower(request.target);
  if (source == "auto") {
    return absl::InvalidArgumentError(absl::StrCat(
        "language detection is not available on this server; set source "
        "to \"",
        info.source_language().empty() ? "the source language"
                                       : info.source_language(),
        "\""));
  }
  if (info.languages_size() > 0) {
    translate->set_source_language(request.source);
    translate->set_target_language(request.target);
    return absl::OkStatus();
  }
  // A model whose name carries no language pair serves whatever it was
  // trained on: the caller's codes cannot be checked.
  if (info.source_language().empty()) return absl::OkStatus();
  const std::string pair =
      absl::StrCat(" (this server translates ", info.source_language(), " to ",
                   info.target_language(), ")");
  if (source != info.source_language()) {
    return absl::InvalidArgumentError(absl::StrCat(
        base::ShortForMessage(request.source), " is not supported", pair));
  }
  if (target != info.target_language()) {
    return absl::InvalidArgumentError(
        absl::StrCat(base::ShortForMessage(request.target),
                     " is not supported as a target", pair));
  }
  return absl::OkStatus();
}

// The model for a LibreTranslate request, which names languages, not a
// model: a one-pair model of exactly that pair (a server of OPUS-MT models,
// one per pair), else the default model, else a multilingual one. Checks the
// languages against it (CheckLanguages) into `translate`.
absl::StatusOr<std::shared_ptr<const ServingBackend>> PickModel(
    const CallEnvironment& environment, const LibreRequest& request,
    v1::TranslateRequest* translate) {
  ASSIGN_OR_RETURN(ModelDirectory * models, environment.models());
  const v1::ListModelsResponse list = models->List();
  for (const v1::ModelInfo& listed : list.models()) {
    // A one-pair model's pair is in its name ("de-en"), whatever its state:
    // one that is unloaded is found too (and an on-demand one loads).
    const NamedPair pair = LanguagePairOfName(listed.name());
    if (pair.source.empty()) continue;
    v1::ModelInfo info;
    info.set_source_language(pair.source);
    info.set_target_language(pair.target);
    v1::TranslateRequest candidate;
    if (CheckLanguages(info, request, &candidate).ok()) {
      return models->Find(listed.name());
    }
  }
  absl::StatusOr<std::shared_ptr<const ServingBackend>> backend =
      models->Find("");
  if (absl::IsInvalidArgument(backend.status())) {  // no default model
    for (const v1::ModelInfo& info : list.models()) {
      if (info.state() == v1::MODEL_STATE_AVAILABLE &&
          info.languages_size() > 0) {
        backend = models->Find(info.name());
        break;
      }
    }
  }
  if (absl::IsInvalidArgument(backend.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat(base::ShortForMessage(request.source), " to ",
                     base::ShortForMessage(request.target),
                     " is not supported by any model of this server (GET "
                     "/languages lists the pairs)"));
  }
  if (!backend.ok()) return backend.status();
  RETURN_IF_ERROR(CheckLanguages((*backend)->info, request, translate));
  return backend;
}

// The text of hypothesis `k` of `translation` (the best when there are
// fewer).
const std::string& HypothesisText(const v1::Translation& translation, int k) {
  static const std::string* const kNone = new std::string();
  if (translation.hypotheses_size() == 0) return *kNone;
  return translation.hypotheses(std::min(k, translation.hypotheses_size() - 1))
      .text();
}

absl::Status Translate(const CallEnvironment& environment,
                       const httplib::Request& http, absl::Time arrival,
                       CallRecord* record, httplib::Response& response) {
  ASSIGN_OR_RETURN(LibreRequest request, ParseRequest(http));
  RETURN_IF_ERROR(
      AuthorizeHttp(environment, http, request.api_key, &record->caller));
  v1::TranslateRequest translate;
  ASSIGN_OR_RETURN(std::shared_ptr<const ServingBackend> backend,
                   PickModel(environment, request, &translate));
  record->model = backend->name;
  translate.set_model(backend->name);
  ASSIGN_OR_RETURN(const absl::Time deadline, HttpDeadline(http, arrival));

  // One segment per q, or per sentence of each q's HTML (the document
  // library's: inline markup inside a sentence follows its words).
  std::vector<DocumentJob> documents;
  for (const std::string& q : request.q) {
    if (!request.html) {
      translate.add_segments(q);
      continue;
    }
    v1::TranslateDocumentRequest document;
    document.set_document(q);
    document.set_format(v1::DOCUMENT_FORMAT_HTML);
    ASSIGN_OR_RETURN(DocumentJob job,
                     PlanDocument(document,
                                  backend->validator->DocumentLanguage(
                                      translate.source_language()),
                                  DocumentLimits()));
    for (const std::string& sentence : job.sentences.segments()) {
      translate.add_segments(sentence);
    }
    documents.push_back(std::move(job));
  }
  if (request.html) translate.mutable_options()->set_return_alignments(true);
  const int choices = request.alternatives + 1;
  if (request.alternatives > 0) {
    translate.mutable_options()->set_beam_size(
        std::max(choices, kAlternativesBeam));
    translate.mutable_options()->set_num_hypotheses(choices);
  }
  v1::TranslateResponse answer;  // none needed when no q has a sentence
  if (translate.segments_size() > 0) {
    // HTML is bounded as one document is, in sentences over all q;
    // text by --max_segments, one segment per q.
    absl::StatusOr<v1::TranslateResponse> translated =
        RunTranslate(*backend, translate, arrival, deadline,
                     request.html ? DocumentLimits().max_sentences : 0);
    if (!translated.ok() && request.html) {
      return absl::Status(translated.status().code(),
                          AsDocumentMessage(translated.status().message()));
    }
    ASSIGN_OR_RETURN(answer, std::move(translated));
  }
  environment.ChargeTokens(record->caller, answer.usage().input_tokens() +
                                               answer.usage().output_tokens());

  // Each q's text with hypothesis k everywhere.
  std::vector<std::vector<std::string>> texts(request.q.size());
  int segment = 0;
  for (size_t i = 0; i < request.q.size(); ++i) {
    if (!request.html) {
      const v1::Translation& t = answer.translations(segment++);
      for (int k = 0; k < choices && k < t.hypotheses_size(); ++k) {
        texts[i].push_back(HypothesisText(t, k));
      }
      continue;
    }
    const DocumentJob& job = documents[i];
    const int first = segment;
    const int count = job.sentences.segments_size();
    int most = 1;
    for (int s = first; s < first + count; ++s) {
      most = std::max(most, answer.translations(s).hypotheses_size());
    }
    segment += count;
    for (int k = 0; k < std::min(choices, most); ++k) {
      ASSIGN_OR_RETURN(v1::TranslateDocumentResponse rendered,
                       RenderDocument(job, answer, k, first));
      texts[i].push_back(std::move(*rendered.mutable_document()));
    }
  }

  json body;
  const auto best = [&](size_t i) {
    return texts[i].empty() ? std::string() : texts[i].front();
  };
  const auto others = [&](size_t i) {
    json list = json::array();
    for (size_t k = 1; k < texts[i].size(); ++k) list.push_back(texts[i][k]);
    return list;
  };
  if (request.q_is_array) {
    body["translatedText"] = json::array();
    for (size_t i = 0; i < texts.size(); ++i) {
      body["translatedText"].push_back(best(i));
    }
    if (request.alternatives > 0) {
      body["alternatives"] = json::array();
      for (size_t i = 0; i < texts.size(); ++i) {
        body["alternatives"].push_back(others(i));
      }
    }
  } else {
    body["translatedText"] = best(0);
    if (request.alternatives > 0) body["alternatives"] = others(0);
  }
  response.set_content(
      body.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
  return absl::OkStatus();
}

void AnswerLibreError(const absl::Status& status, httplib::Response& response) {
  AnswerError(status, response, ErrorShape::kLibreTranslate);
}

json Language(const std::string& code, std::vector<std::string> targets) {
  return {{"code", code},
          {"name", std::string(LanguageName(code))},
          {"targets", std::move(targets)}};
}

// A multilingual model's languages: each under its ISO 639-1 alias where it
// has one (what LibreTranslate clients send), else the model's code; every
// language translates into every other.
json MultilingualLanguages(const v1::ModelInfo& info) {
  std::vector<std::string> codes;
  for (const v1::Language& language : info.languages()) {
    codes.push_back(language.alias().empty() ? language.code()
                                             : language.alias());
  }
  json languages = json::array();
  for (int i = 0; i < info.languages_size(); ++i) {
    std::vector<std::string> targets;
    for (int j = 0; j < info.languages_size(); ++j) {
      if (j != i) targets.push_back(codes[j]);
    }
    languages.push_back({{"code", codes[i]},
                         {"name", info.languages(i).name()},
                         {"targets", std::move(targets)}});
  }
  return languages;
}

}  // namespace

bool IsLibreTranslatePath(absl::string_view path) {
  return path == "/translate" || path == "/detect" || path == "/languages" ||
         path == "/frontend/settings";
}

void AddLibreTranslateRoutes(const CallEnvironment* environment,
                             httplib::Server& server) {
  server.Post("/translate",
              WithBody([environment](const httplib::Request& request,
                                     httplib::Response& response) {
                AnswerCall(*environment, "Translate", response,
                           ErrorShape::kLibreTranslate,
                           [&](absl::Time arrival, CallRecord* record) {
                             return Translate(*environment, request, arrival,
                                              record, response);
                           });
              }));
  server.Post("/detect", WithBody([](const httplib::Request&,
                                     httplib::Response& response) {
                AnswerLibreError(
                    absl::InvalidArgumentError(
                        "language detection is not available on this server"),
                    response);
              }));
  server.Get("/languages", [environment](const httplib::Request&,
                                         httplib::Response& response) {
    absl::StatusOr<ModelDirectory*> models = environment->models();
    if (!models.ok()) return AnswerLibreError(models.status(), response);
    // Every available model's languages, merged: a code's targets are
    // those of every model that takes it as a source.
    std::vector<std::string> order;
    absl::flat_hash_map<std::string, json> merged;
    const auto add = [&](const json& language) {
      const std::string code = language["code"];
      auto [it, added] = merged.try_emplace(code, language);
      if (added) {
        order.push_back(code);
        return;
      }
      for (const json& target : language["targets"]) {
        if (std::find(it->second["targets"].begin(),
                      it->second["targets"].end(),
                      target) == it->second["targets"].end()) {
          it->second["targets"].push_back(target);
        }
      }
    };
    const v1::ListModelsResponse list = (*models)->List();
    for (const v1::ModelInfo& info : list.models()) {
      if (info.state() != v1::MODEL_STATE_AVAILABLE) continue;
      for (const json& language : MultilingualLanguages(info)) add(language);
      if (!info.source_language().empty()) {
        add(Language(info.source_language(), {info.target_language()}));
        add(Language(info.target_language(), {}));
      }
    }
    json languages = json::array();
    for (const std::string& code : order) languages.push_back(merged[code]);
    response.set_content(languages.dump(), kJson);
  });
  server.Get("/frontend/settings", [environment](const httplib::Request&,
                                                 httplib::Response& response) {
    absl::StatusOr<ModelDirectory*> models = environment->models();
    if (!models.ok()) return AnswerLibreError(models.status(), response);
    // The default model's pair, or the first available model's.
    v1::ModelInfo info;
    if (absl::StatusOr<v1::ModelInfo> preferred = (*models)->Describe("");
        preferred.ok()) {
      info = *std::move(preferred);
    } else {
      const v1::ListModelsResponse list = (*models)->List();
      for (const v1::ModelInfo& model : list.models()) {
        if (model.state() == v1::MODEL_STATE_AVAILABLE) {
          info = model;
          break;
        }
      }
    }
    const bool keys = environment->keys_required();
    json settings = {
        {"apiKeys", keys},
        {"keyRequired", keys},
        // Limits are in tokens (ModelInfo.limits), not characters.
        {"charLimit", -1},
        {"frontendTimeout", 500},
        {"suggestions", false},
        {"filesTranslation", false},
        {"supportedFilesFormat", json::array()},
        {"language",
         {{"source",
           {{"code", info.source_language()},
            {"name", std::string(LanguageName(info.source_language()))}}},
          {"target",
           {{"code", info.target_language()},
            {"name", std::string(LanguageName(info.target_language()))}}}}}};
    response.set_content(settings.dump(), kJson);
  });
}

}  // namespace glossa::server
