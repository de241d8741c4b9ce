#include "server/http/http_server.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "server/http/http_request.h"
#include "server/http/http_status.h"
#include "server/http/json_api.h"
#include "server/http/libretranslate.h"
#include "server/http/playground.h"

namespace glossa::server {
namespace {

bool OriginAllowed(const std::vector<std::string>& allowed,
                   const std::string& origin) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
    return a == "*" || a == origin;
  });
}

void Configure(const HttpServerOptions& options,
               const CallEnvironment* environment, httplib::Server& server) {
  const int threads = std::max(1, options.threads);
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server.set_payload_max_length(options.max_body_bytes);
  // An idle keep-alive connection holds a worker, and Shutdown() waits for
  // it to time out: 5 s bounds both. A client that stops reading or
  // sending holds one for the read/write timeout.
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(10);
  server.set_write_timeout(30);

  const std::vector<std::string> origins = options.cors_origins;
  server.set_pre_routing_handler([origins](const httplib::Request& request,
                                           httplib::Response& response) {
    // cpp-httplib 0.11 applies the body limit to Content-Length only: a
    // chunked body would be read whatever its size. It is refused here,
    // before the body is read (this handler runs first).
    if (request.has_header("Transfer-Encoding")) {
      response.status = 411;  // Length Required
      response.set_content(
          ErrorJson(absl::FailedPreconditionError(
                        "chunked request bodies are not accepted; send the "
                        "body with a Content-Length"),
                    response.status),
          "application/json");
      response.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::string origin = request.get_header_value("Origin");
    if (!origin.empty() && OriginAllowed(origins, origin)) {
      response.set_header("Access-Control-Allow-Origin", origin);
      response.set_header("Vary", "Origin");
      if (request.method == "OPTIONS") {
        response.set_header("Access-Control-Allow-Methods",
                            "GET, POST, OPTIONS");
        response.set_header("Access-Control-Allow-Headers",
                            "Authorization, Content-Type, X-Request-Timeout");
        response.set_header("Access-Control-Max-Age", "600");
        response.status = 204;
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors httplib answers itself (no route, a body over the limit) get
  // the same JSON shape as the handlers' own.
  const size_t max_body = options.max_body_bytes;
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [max_body](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        absl::Status status;
        if (response.status == 413) {
          status = absl::ResourceExhaustedError(
              absl::StrCat("the request body is over ", max_body,
                           " bytes (--max_message_bytes)"));
        } else if (response.status == 400) {
          status = absl::InvalidArgumentError(
              "not a valid HTTP/1.1 request (a malformed request line, or a "
              "header line over 8 KiB)");
        } else if (response.status == 404) {
          status = absl::NotFoundError(absl::StrCat(
              "no route for ", request.method, " ", request.path.substr(0, 100),
              "; see GET / for the playground and server/README.md for the "
              "API"));
        } else {
          status = absl::UnknownError(absl::StrCat("HTTP ", response.status));
        }
        response.set_content(IsLibreTranslatePath(request.path)
                                 ? LibreTranslateErrorJson(status)
                                 : ErrorJson(status, response.status),
                             "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([](const httplib::Request&,
                                  httplib::Response& response,
                                  std::exception_ptr) {
    AnswerError(absl::InternalError("the request could not be answered"),
                response);
  });

  AddJsonApiRoutes(environment, server);
  AddLibreTranslateRoutes(environment, server);
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "no-cache");
    response.set_content(std::string(PlaygroundHtml()),
                         "text/html; charset=utf-8");
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, const CallEnvironment* environment) {
  std::unique_ptr<httplib::Server> server;
  const bool tls = !options.tls_cert_file.empty();
  if (tls) {
    auto secure = std::make_unique<httplib::SSLServer>(
        options.tls_cert_file.c_str(), options.tls_key_file.c_str(),
        options.tls_client_ca_file.empty()
            ? nullptr
            : options.tls_client_ca_file.c_str());
    if (!secure->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the HTTP server cannot use --tls_cert=", options.tls_cert_file,
          " / --tls_key=", options.tls_key_file));
    }
    server = std::move(secure);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  Configure(options, environment, *server);
  int port = options.port;
  if (port == 0) {
    port = server->bind_to_any_port(options.host);
  } else if (!server->bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for HTTP on ", options.host, ":", options.port,
        " (in use? set --http_port, or -1 to turn HTTP off)"));
  }
  std::unique_ptr<HttpServer> started(
      new HttpServer(std::move(server), port, tls));
  httplib::Server* listening = started->server_.get();
  started->thread_ =
      std::thread([listening] { listening->listen_after_bind(); });
  return started;
}

HttpServer::HttpServer(std::unique_ptr<httplib::Server> server, int port,
                       bool tls)
    : server_(std::move(server)), port_(port), tls_(tls) {}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::Shutdown() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace glossa::server
