#ifndef GLOSSA_SERVER_HTTP_HTTP_SERVER_H_
#define GLOSSA_SERVER_HTTP_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "server/calls/call_environment.h"

namespace httplib {
class Server;
}

namespace glossa::server {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0 picks a free port
  // Worker threads: each open connection holds one while it is kept alive,
  // and each request while it waits for the model.
  int threads = 64;
  // Largest request body, checked against Content-Length before the body
  // is read (413 above it).
  size_t max_body_bytes = 4 << 20;
  // Origins whose browsers may call the API (CORS); "*" for any. Empty: no
  // CORS headers, so only same-origin pages (the playground) can.
  std::vector<std::string> cors_origins;
  // PEM files, as for gRPC: cert + key serve HTTPS; client_ca also requires
  // client certificates.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

// The HTTP/1.1 front-end (cpp-httplib): Glossa's JSON API (json_api.h),
// LibreTranslate's API (libretranslate.h) and the playground page at /,
// over the same CallEnvironment as gRPC: keys, limits, backend, drain and
// metrics (frontend="http").
class HttpServer {
 public:
  // Listens and serves on a thread of its own. `environment` must outlive
  // the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, const CallEnvironment* environment);
  ~HttpServer();

  int port() const { return port_; }
  bool tls() const { return tls_; }
  // Stops listening and waits for the requests being answered (the
  // scheduler must still be running, or stopped, so that they end).
  void Shutdown();

 private:
  HttpServer(std::unique_ptr<httplib::Server> server, int port, bool tls);

  std::unique_ptr<httplib::Server> server_;
  const int port_;
  const bool tls_;
  std::thread thread_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_HTTP_HTTP_SERVER_H_
