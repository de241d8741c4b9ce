#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace glossa::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string ServerBinary() { return GLOSSA_BIN_DIR "/glossa-server"; }
std::string ClientBinary() { return GLOSSA_BIN_DIR "/glossa"; }
std::string EngineBinary() { return GLOSSA_BIN_DIR "/glossa-engine"; }
std::string FixtureModelDir() { return GLOSSA_TINY_MODEL_DIR; }
std::string SlowModelDir() { return GLOSSA_SLOW_MODEL_DIR; }

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    Options options) {
  std::vector<std::string>& flags = options.flags;
  std::vector<std::string>& env = options.env;
  const absl::Duration timeout = options.timeout;
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
  char pattern[] = "/tmp/glossa_server_log_XXXXXX";
  const int log_fd = mkstemp(pattern);
  if (log_fd < 0) return absl::InternalError("mkstemp failed");
  server->log_path_ = pattern;

  std::vector<std::string> args = {
      ServerBinary(), "--host=127.0.0.1", "--port=0", "--metrics_port=0",
      "--http_port=0", "--num_threads=1",
      // Tests compare decoded answers (alone,
      // batched, under load): the translation
      // cache is on only where a test says so.
      "--translation_cache_bytes=0", "--model=" + FixtureModelDir()};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The parent's environment plus `env`, prepared before fork().
  std::vector<char*> envp;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    envp.push_back(*variable);
  }
  for (std::string& variable : env) envp.push_back(variable.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  server->pid_ = pid;

  const std::regex listening(
      R"(glossa-server listening grpc=127\.0\.0\.1:(\d+) metrics=127\.0\.0\.1:(\d+) http=(?:127\.0\.0\.1:(\d+)|off))");
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    std::smatch match;
    const std::string log = server->Log();
    if (std::regex_search(log, match, listening)) {
      server->grpc_port_ = std::stoi(match[1]);
      server->metrics_port_ = std::stoi(match[2]);
      if (match[3].matched) server->http_port_ = std::stoi(match[3]);
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->exited_ = true;
      return absl::InternalError("glossa-server exited early:\n" + log);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (server->grpc_port_ == 0) {
    return absl::DeadlineExceededError("no listening line:\n" + server->Log());
  }
  if (!options.wait_until_serving) return server;
  while (absl::Now() < give_up) {
    if (server->Health() == "SERVING") return server;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("never SERVING:\n" + server->Log());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", grpc_port_);
}

std::shared_ptr<grpc::Channel> ServerProcess::NewChannel() const {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address(),
                                   grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<v1::Glossa::Stub> ServerProcess::NewStub() const {
  return v1::Glossa::NewStub(NewChannel());
}

std::string ServerProcess::Health(const std::string& service) const {
  auto stub = grpc::health::v1::Health::NewStub(NewChannel());
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  auto context = ContextWithTimeout(absl::Seconds(2));
  const grpc::Status status = stub->Check(context.get(), request, &response);
  if (!status.ok()) {
    return absl::StrCat("error ", status.error_code(), ": ",
                        status.error_message());
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
}

absl::StatusOr<std::string> ServerProcess::ScrapeMetrics() const {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(metrics_port_));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return absl::UnavailableError("cannot connect to /metrics");
  }
  const std::string request =
      "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("cannot send the /metrics request");
  }
  std::string response;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return absl::InternalError("bad HTTP response: " + response);
  }
  return response.substr(body + 4);
}

std::optional<double> ServerProcess::Metric(const std::string& sample) const {
  absl::StatusOr<std::string> text = ScrapeMetrics();
  if (!text.ok()) return std::nullopt;
  // "name{a=\"x\",b=\"y\"}" -> name and its labels.
  const auto split = [](absl::string_view series) {
    std::pair<std::string, std::set<std::string>> parts;
    const size_t brace = series.find('{');
    parts.first = std::string(series.substr(0, brace));
    if (brace != absl::string_view::npos && series.back() == '}') {
      for (absl::string_view label :
           absl::StrSplit(series.substr(brace + 1, series.size() - brace - 2),
                          "\",", absl::SkipEmpty())) {
        std::string text(label);
        if (text.back() != '"') text += '"';
        parts.second.insert(std::move(text));
      }
    }
    return parts;
  };
  const auto wanted = split(sample);
  std::optional<double> sum;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    const auto have = split(line.substr(0, space));
    double value = 0;
    if (have.first != wanted.first ||
        !std::includes(have.second.begin(), have.second.end(),
                       wanted.second.begin(), wanted.second.end()) ||
        !absl::SimpleAtod(line.substr(space + 1), &value)) {
      continue;
    }
    sum = sum.value_or(0) + value;
  }
  return sum;
}

void ServerProcess::Signal(int signal) const { kill(pid_, signal); }

int ServerProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return -1;
}

std::string ServerProcess::Log() const { return ReadAll(log_path_); }

v1::TranslateRequest TranslateRequestOf(std::vector<std::string> segments) {
  v1::TranslateRequest request;
  for (std::string& segment : segments)
    request.add_segments(std::move(segment));
  return request;
}

std::unique_ptr<grpc::ClientContext> ContextWithTimeout(
    absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace glossa::testing
