// The server's life: SIGTERM drain, the grace period, reflection, TLS and
// mutual TLS, environment configuration, and the glossa CLI against it.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace glossa::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::GenerateRequest LongGenerate(int tokens) {
  v1::GenerateRequest request;
  request.set_text("Ein kleiner Test.");
  request.set_min_new_tokens(tokens);
  request.set_max_new_tokens(tokens);
  return request;
}

v1::TranslateRequest LongTranslate(int tokens) {
  v1::TranslateRequest request = TranslateRequestOf({"Guten Morgen!"});
  request.mutable_options()->set_min_output_tokens(tokens);
  request.mutable_options()->set_max_output_tokens(tokens);
  return request;
}

struct InFlight {
  std::thread translate_thread, generate_thread;
  grpc::Status translate_status, generate_status;
  v1::TranslateResponse translation;
  std::vector<v1::GenerateResponse> stream;
  std::atomic<int> streamed{0};

  void Start(const ServerProcess& server, int tokens) {
    translate_thread = std::thread([&, tokens] {
      auto stub = server.NewStub();
      auto context = ContextWithTimeout(absl::Seconds(60));
      translate_status =
          stub->Translate(context.get(), LongTranslate(tokens), &translation);
    });
    generate_thread = std::thread([&, tokens] {
      auto stub = server.NewStub();
      auto context = ContextWithTimeout(absl::Seconds(60));
      auto reader = stub->Generate(context.get(), LongGenerate(tokens));
      v1::GenerateResponse response;
      while (reader->Read(&response)) {
        stream.push_back(response);
        ++streamed;
      }
      generate_status = reader->Finish();
    });
    while (streamed.load() < 2) absl::SleepFor(absl::Milliseconds(5));
  }
  void Join() {
    translate_thread.join();
    generate_thread.join();
  }
};

TEST(LifecycleTest, SigtermDrainsInFlightWorkThenExitsZero) {
  auto server = ServerProcess::Start(
      {"--model=" + SlowModelDir(), "--drain_grace_seconds=60"});
  ASSERT_TRUE(server.ok()) << server.status();
  InFlight in_flight;
  in_flight.Start(**server, 150);

  (*server)->Signal(SIGTERM);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ((*server)->Health(), "NOT_SERVING");
  EXPECT_EQ((*server)->Health("glossa.v1.Glossa"), "NOT_SERVING");
  v1::TranslateResponse response;
  auto context = ContextWithTimeout(absl::Seconds(5));
  const grpc::Status rejected = (*server)->NewStub()->Translate(
      context.get(), TranslateRequestOf({"Hallo"}), &response);
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(rejected.error_message(), HasSubstr("shutting down"));

  in_flight.Join();
  ASSERT_TRUE(in_flight.translate_status.ok())
      << in_flight.translate_status.error_message();
  EXPECT_EQ(in_flight.translation.translations(0).output_tokens(), 150);
  ASSERT_TRUE(in_flight.generate_status.ok());
  EXPECT_EQ(in_flight.stream.back().result().finish_reason(),
            v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(in_flight.stream.size(), 150u);
  EXPECT_EQ((*server)->WaitForExit(absl::Seconds(10)), 0) << (*server)->Log();
  EXPECT_THAT((*server)->Log(), HasSubstr("all requests finished"));
}

TEST(LifecycleTest, WorkStillRunningAfterTheGracePeriodIsCutShort) {
  auto server = ServerProcess::Start(
      {"--model=" + SlowModelDir(), "--drain_grace_seconds=0"});
  ASSERT_TRUE(server.ok()) << server.status();
  InFlight in_flight;
  in_flight.Start(**server, 500);
  (*server)->Signal(SIGTERM);
  in_flight.Join();
  EXPECT_EQ(in_flight.translate_status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The stream ends properly, with what was generated and the reason.
  ASSERT_TRUE(in_flight.generate_status.ok())
      << in_flight.generate_status.error_message();
  const v1::GenerateResponse& last = in_flight.stream.back();
  ASSERT_TRUE(last.has_result());
  EXPECT_EQ(last.result().finish_reason(), v1::FINISH_REASON_CANCELLED);
  EXPECT_LT(in_flight.stream.size(), 500u);
  EXPECT_EQ((*server)->WaitForExit(absl::Seconds(10)), 0);
  EXPECT_THAT((*server)->Log(), HasSubstr("grace period over"));
}

TEST(LifecycleTest, NotServingUntilTheModelIsLoadedAndWarm) {
  ServerProcess::Options options;
  options.flags = {"--model=" + SlowModelDir()};
  options.wait_until_serving = false;  // look while it loads
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  // The port is open before the model is loaded (the base-size model takes
  // a few hundred milliseconds to load and warm up).
  EXPECT_EQ((*server)->Health(), "NOT_SERVING");
  v1::TranslateResponse response;
  auto context = ContextWithTimeout(absl::Seconds(5));
  const grpc::Status loading = (*server)->NewStub()->Translate(
      context.get(), TranslateRequestOf({"Hallo"}), &response);
  EXPECT_EQ(loading.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(loading.error_message(), HasSubstr("loading"));
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while ((*server)->Health() != "SERVING" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ((*server)->Health(), "SERVING");
  auto context2 = ContextWithTimeout(absl::Seconds(30));
  v1::TranslateRequest request = TranslateRequestOf({"Hallo"});
  request.mutable_options()->set_max_output_tokens(4);
  EXPECT_TRUE(
      (*server)->NewStub()->Translate(context2.get(), request, &response).ok());
}

TEST(LifecycleTest, SigtermWhileLoadingExitsAtOnce) {
  ServerProcess::Options options;
  options.flags = {"--model=" + SlowModelDir()};
  options.wait_until_serving = false;
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->WaitForExit(absl::Seconds(10)), 0) << (*server)->Log();
}

// Runs one request/response exchange of server reflection (v1alpha) on a
// bidirectional stream, with hand-encoded messages.
std::string ReflectionExchange(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& request_bytes) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  void* tag;
  bool ok;
  auto call = stub.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  std::string bytes;
  if (ok) {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  call->WritesDone(reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return bytes;
}

// The length-delimited payloads of field `number` in `bytes`.
std::vector<std::string> Field(const std::string& bytes, int number) {
  google::protobuf::UnknownFieldSet fields;
  std::vector<std::string> values;
  if (!fields.ParseFromString(bytes)) return values;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == number &&
        fields.field(i).type() ==
            google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      values.push_back(fields.field(i).length_delimited());
    }
  }
  return values;
}

TEST(LifecycleTest, ReflectionDescribesTheService) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  // list_services (field 7) -> list_services_response (6) -> service (1)
  // -> name (1).
  const std::string listed =
      ReflectionExchange((*server)->NewChannel(), std::string("\x3a\x00", 2));
  std::vector<std::string> names;
  for (const std::string& list : Field(listed, 6)) {
    for (const std::string& service : Field(list, 1)) {
      for (const std::string& name : Field(service, 1)) names.push_back(name);
    }
  }
  EXPECT_THAT(names, ::testing::Contains("glossa.v1.Glossa"));
  EXPECT_THAT(names, ::testing::Contains("grpc.health.v1.Health"));

  // file_containing_symbol (4) -> file_descriptor_response (4) ->
  // file_descriptor_proto (1).
  const std::string symbol = "glossa.v1.Glossa";
  const std::string request =
      std::string("\x22", 1) + static_cast<char>(symbol.size()) + symbol;
  const std::string described =
      ReflectionExchange((*server)->NewChannel(), request);
  bool found = false;
  for (const std::string& files : Field(described, 4)) {
    for (const std::string& file : Field(files, 1)) {
      google::protobuf::FileDescriptorProto proto;
      ASSERT_TRUE(proto.ParseFromString(file));
      for (const auto& service : proto.service()) {
        if (service.name() != "Glossa") continue;
        found = true;
        std::vector<std::string> methods;
        for (const auto& method : service.method()) {
          methods.push_back(method.name());
        }
        EXPECT_THAT(methods, ::testing::UnorderedElementsAre(
                                 "Translate", "Generate", "TranslateDocument",
                                 "GetModelInfo", "ListModels", "LoadModel",
                                 "UnloadModel"));
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST(LifecycleTest, EnvironmentVariablesSetFlags) {
  ServerProcess::Options options;
  options.env = {"GLOSSA_MAX_SEGMENTS=3", "GLOSSA_MODEL_NAME=from-env",
                 "GLOSSA_MAX_BEAM_SIZE=2"};
  auto server = ServerProcess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  v1::ModelInfo info;
  auto context = ContextWithTimeout();
  ASSERT_TRUE(
      (*server)
          ->NewStub()
          ->GetModelInfo(context.get(), v1::GetModelInfoRequest(), &info)
          .ok());
  EXPECT_EQ(info.name(), "from-env");
  EXPECT_EQ(info.limits().max_segments(), 3);
  EXPECT_EQ(info.limits().max_beam_size(), 2);
}

TEST(LifecycleTest, CommandLineClient) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string glossa =
      ClientBinary() + " --server=" + (*server)->address() + " ";
  auto [health_rc, health] = RunShell(glossa + "health");
  EXPECT_EQ(health_rc, 0);
  EXPECT_EQ(health, "SERVING\n");

  auto [translate_rc, translated] =
      RunShell("printf 'Ein kleiner Test.\\n\\nGuten Morgen!\\n' | " + glossa +
               "translate --batch=2");
  EXPECT_EQ(translate_rc, 0);
  EXPECT_EQ(std::count(translated.begin(), translated.end(), '\n'), 3);

  // --help lists each program's own flags with their defaults.
  auto [client_help_rc, client_help] =
      RunShell(ClientBinary() + " --help 2>&1");
  EXPECT_THAT(client_help, HasSubstr("--server ("));
  EXPECT_THAT(client_help, HasSubstr("default: \"localhost:50051\""));
  auto [server_help_rc, server_help] =
      RunShell(ServerBinary() + " --help 2>&1");
  EXPECT_THAT(server_help, HasSubstr("--max_batch_size ("));
  EXPECT_THAT(server_help, HasSubstr("default: 32;"));
  EXPECT_THAT(server_help, Not(HasSubstr("No flags matched")));

  auto [info_rc, info] = RunShell(glossa + "info");
  EXPECT_EQ(info_rc, 0);
  EXPECT_THAT(info, HasSubstr("\"name\": \"tiny-swish\""));

  auto [generate_rc, generated] =
      RunShell(glossa +
               "generate --max_output_tokens=8 --min_output_tokens=8 "
               "Guten Morgen 2>&1");
  EXPECT_EQ(generate_rc, 0);
  EXPECT_THAT(generated, HasSubstr("finish_reason=FINISH_REASON_LENGTH"));

  auto [bad_rc, bad] = RunShell(glossa + "translate --beam_size=99 Hallo 2>&1");
  EXPECT_EQ(bad_rc, 1);
  EXPECT_THAT(bad, HasSubstr("INVALID_ARGUMENT: options.beam_size"));

  char inputs[] = "/tmp/glossa_bench_inputs_XXXXXX";
  const int fd = mkstemp(inputs);
  ASSERT_GE(fd, 0);
  const std::string lines = "Guten Morgen!\nEin kleiner Test.\nJa\n";
  ASSERT_EQ(write(fd, lines.data(), lines.size()),
            static_cast<ssize_t>(lines.size()));
  close(fd);
  auto [bench_rc, bench] = RunShell(
      glossa + "bench --requests=24 --concurrency=4 --rpc=mixed --json " +
      "--progress_interval=0 --min_output_tokens=4 --max_output_tokens=8 " +
      "--input_file=" + inputs);
  unlink(inputs);
  EXPECT_EQ(bench_rc, 0);
  EXPECT_THAT(bench, HasSubstr("\"ok\": 24, \"errors\": 0"));
  EXPECT_THAT(bench, ::testing::Not(HasSubstr("\"ttft_ms\": {\"p50\": 0.000")));

  // Through the environment, and a target with load balancing.
  auto [env_rc, env_health] =
      RunShell("GLOSSA_SERVER=ipv4:" + (*server)->address() + " " +
               ClientBinary() + " --lb_policy=round_robin health");
  EXPECT_EQ(env_rc, 0);
  EXPECT_EQ(env_health, "SERVING\n");

  // Nothing listening: non-zero exit with the status.
  auto [down_rc, down] = RunShell(
      ClientBinary() + " --server=127.0.0.1:1 --deadline=2s health 2>&1");
  EXPECT_NE(down_rc, 0);
  EXPECT_THAT(down, HasSubstr("UNAVAILABLE"));
}

// Writes a CA, a server certificate for 127.0.0.1 and a client certificate
// into `dir` with openssl.
bool MakeCertificates(const std::string& dir) {
  const std::string script = absl::StrCat(
      "set -e; cd ", dir, "; ",
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca "
      "-keyout ca.key -out ca.pem 2>/dev/null; ",
      "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
      "-keyout server.key -out server.csr 2>/dev/null; ",
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.txt; ",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -days 2 -extfile san.txt -out server.pem 2>/dev/null; ",
      "openssl req -newkey rsa:2048 -nodes -subj /CN=client "
      "-keyout client.key -out client.csr 2>/dev/null; ",
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -days 2 -out client.pem 2>/dev/null");
  return std::system(script.c_str()) == 0;
}

TEST(LifecycleTest, TlsFilesAreCheckedAtStartWithTheirCause) {
  char pattern[] = "/tmp/glossa_tls_XXXXXX";
  const std::string dir = mkdtemp(pattern);
  if (!MakeCertificates(dir)) GTEST_SKIP() << "openssl is not available";
  // A self-signed certificate that expired yesterday.
  ASSERT_EQ(
      std::system(
          absl::StrCat("set -e; cd ", dir,
                       "; openssl x509 -req -in server.csr -signkey server.key "
                       "-days -1 -out expired.pem 2>/dev/null")
              .c_str()),
      0);
  const std::string server =
      ServerBinary() + " --model=" + FixtureModelDir() +
      " --port=0 --metrics_port=-1 --http_port=-1 --tls_cert=" + dir;
  // The key of another certificate: gRPC said only "cannot listen".
  auto [mismatch_rc, mismatch] =
      RunShell(server + "/server.pem --tls_key=" + dir + "/client.key 2>&1");
  EXPECT_EQ(mismatch_rc, 1);
  EXPECT_THAT(mismatch, HasSubstr("--tls_key: " + dir +
                                  "/client.key is not "
                                  "the key of the certificate in --tls_cert " +
                                  dir + "/server.pem"));
  auto [garbage_rc, garbage] =
      RunShell(server + "/san.txt --tls_key=" + dir + "/server.key 2>&1");
  EXPECT_EQ(garbage_rc, 1);
  EXPECT_THAT(garbage, HasSubstr(dir + "/san.txt holds no PEM certificate"));
  // Expired: refused by flag...
  auto [refused_rc, refused] =
      RunShell(server + "/expired.pem --tls_key=" + dir +
               "/server.key --tls_require_valid_cert 2>&1");
  EXPECT_EQ(refused_rc, 1);
  EXPECT_THAT(refused, HasSubstr("expired.pem expired on"));
  // ...and otherwise served with a warning.
  ServerProcess::Options options;
  options.flags = {"--tls_cert=" + dir + "/expired.pem",
                   "--tls_key=" + dir + "/server.key"};
  options.wait_until_serving = false;
  auto started = ServerProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  for (int i = 0;
       i < 100 && (*started)->Log().find("serving model") == std::string::npos;
       ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT((*started)->Log(),
              HasSubstr("warning: --tls_cert: the certificate in " + dir +
                        "/expired.pem expired on"));
  std::system(absl::StrCat("rm -rf ", dir).c_str());
}

TEST(LifecycleTest, MutualTls) {
  char pattern[] = "/tmp/glossa_tls_XXXXXX";
  const std::string dir = mkdtemp(pattern);
  if (!MakeCertificates(dir)) GTEST_SKIP() << "openssl is not available";
  ServerProcess::Options options;
  options.flags = {"--tls_cert=" + dir + "/server.pem",
                   "--tls_key=" + dir + "/server.key",
                   "--tls_client_ca=" + dir + "/ca.pem"};
  options.wait_until_serving = false;  // the harness probes in plaintext
  auto started = ServerProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<ServerProcess> tls_server = *std::move(started);
  const std::string base = ClientBinary() +
                           " --server=" + tls_server->address() +
                           " --tls_ca=" + dir + "/ca.pem ";
  std::string with_cert = base + "--tls_cert=" + dir + "/client.pem" +
                          " --tls_key=" + dir + "/client.key ";
  // Health may take a moment to become SERVING.
  int rc = 1;
  for (int i = 0; i < 100 && rc != 0; ++i) {
    rc = RunShell(with_cert + "health").first;
    if (rc != 0) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(rc, 0);
  auto [translate_rc, translated] = RunShell(with_cert + "translate Hallo");
  EXPECT_EQ(translate_rc, 0);
  // No client certificate: the handshake fails.
  auto [no_cert_rc, no_cert] = RunShell(base + "--deadline=3s health 2>&1");
  EXPECT_NE(no_cert_rc, 0);
  EXPECT_THAT(no_cert, HasSubstr("UNAVAILABLE"));
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace glossa::testing
