#include "dataplane/api/api_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataplane/wire/ip_address.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace plait::api {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag,
                                     const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": cannot read: ", strerror(errno)));
  }
  std::stringstream data;
  data << in.rdbuf();
  if (data.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": empty"));
  }
  return data.str();
}

// mkdir -p for the socket's directory; new directories are 0755 (the
// socket's own mode guards it).
absl::Status MakeParents(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--api unix:", path, ": cannot create ", dir, ": ", strerror(errno)));
    }
  }
  return absl::OkStatus();
}

// The socket's directory must be this user's (or root's) and not writable
// by others unless sticky: in a directory another user controls (say a
// /tmp/plait-UID made by someone else first), that user could replace the
// socket and receive what plaitctl sends.
absl::Status CheckSocketDirectory(const std::string& path) {
  const std::string dir = path.substr(0, std::max<size_t>(1, path.rfind('/')));
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api unix:", path, ": cannot stat ", dir, ": ", strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api unix:", path, ": ", dir, " is not a directory (a symlink?)"));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--api unix:", path, ": ", dir, " belongs to uid ",
                     st.st_uid, ", not to this user (uid ", geteuid(),
                     ") or root: another user could take the socket over"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api unix:", path, ": ", dir,
        " is writable by others (and not sticky): another user could take "
        "the socket over"));
  }
  return absl::OkStatus();
}

// A socket file left by a process that died is removed; one a live
// process answers on is not taken over.
absl::Status ClaimUnixPath(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return absl::OkStatus();
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api unix:", path, ": the path exists and is not a socket"));
  }
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sun.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--api unix:", path, ": longer than ",
                     sizeof(sun.sun_path) - 1, " bytes"));
  }
  memcpy(sun.sun_path, path.c_str(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::OkStatus();
  const bool live =
      connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) == 0;
  close(fd);
  if (live) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api unix:", path,
        ": another process is serving there (another plaitd? give each its "
        "own --api, or --api none)"));
  }
  if (unlink(path.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api unix:", path, ": cannot remove the stale socket: ",
        strerror(errno)));
  }
  return absl::OkStatus();
}

// HOST of "HOST:PORT" / "[V6]:PORT", and whether it is a loopback address.
absl::StatusOr<bool> IsLoopback(const std::string& address) {
  std::string host;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--api ", address, ": no closing ]"));
    }
    host = address.substr(1, close - 1);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--api ", address, ": expected unix:PATH, HOST:PORT or [V6]:PORT"));
    }
    host = address.substr(0, colon);
  }
  if (host == "localhost") return true;
  auto ip = wire::IpAddress::Parse(host);
  if (!ip.ok()) return false;
  auto b = ip->bytes();
  if (ip->is_v4()) return b[0] == 127;
  for (int i = 0; i < 15; ++i) {
    if (b[i] != 0) return false;
  }
  return b[15] == 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(
    const ApiServerOptions& options,
    const std::vector<grpc::Service*>& services) {
  std::unique_ptr<ApiServer> server(new ApiServer());
  std::shared_ptr<grpc::ServerCredentials> credentials;
  const bool tls =
      !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (tls != (!options.tls_cert_file.empty() &&
              !options.tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "--api-tls-cert and --api-tls-key go together");
  }
  if (!options.tls_client_ca_file.empty() && !tls) {
    return absl::InvalidArgumentError(
        "--api-tls-client-ca needs --api-tls-cert and --api-tls-key");
  }
  const bool is_unix = absl::StartsWith(options.address, "unix:");
  if (is_unix) {
    if (tls) {
      return absl::InvalidArgumentError(
          "--api-tls-*: TLS is for TCP addresses; a unix socket is guarded "
          "by its file mode");
    }
    server->unix_path_ = options.address.substr(5);
    if (server->unix_path_.empty() || server->unix_path_[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat(
          "--api ", options.address, ": the socket path must be absolute"));
    }
    if (absl::Status s = MakeParents(server->unix_path_); !s.ok()) return s;
    if (absl::Status s = CheckSocketDirectory(server->unix_path_); !s.ok()) {
      return s;
    }
    if (absl::Status s = ClaimUnixPath(server->unix_path_); !s.ok()) return s;
    credentials = grpc::InsecureServerCredentials();
  } else if (tls) {
    auto cert = ReadFile("--api-tls-cert", options.tls_cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile("--api-tls-key", options.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!options.tls_client_ca_file.empty()) {
      auto ca = ReadFile("--api-tls-client-ca", options.tls_client_ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
      // Asked for and verified when given, not required: read-only calls
      // stay open to clients without one (see --api-mutations-need-mtls).
      ssl.client_certificate_request =
          GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    auto loopback = IsLoopback(options.address);
    if (!loopback.ok()) return loopback.status();
    if (!*loopback) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--api ", options.address,
          ": plaintext TCP is only for loopback addresses; give "
          "--api-tls-cert and --api-tls-key (and --api-tls-client-ca for "
          "mTLS)"));
    }
    credentials = grpc::InsecureServerCredentials();
  }

  // Process-wide switches, before the builder (gRPC's contract).
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.address, credentials,
                           is_unix ? nullptr : &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || (!is_unix && port == 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--api ", options.address,
        ": cannot listen there (in use, or not a local address?)"));
  }
  if (is_unix) {
    // Only the owner (and its group) may drive the dataplane.
    if (chmod(server->unix_path_.c_str(), 0660) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("--api ", options.address,
                       ": cannot make the socket 0660: ", strerror(errno)));
    }
    server->address_ = options.address;
  } else {
    const size_t colon = options.address.rfind(':');
    server->address_ =
        absl::StrCat(options.address.substr(0, colon), ":", port);
  }
  grpc::HealthCheckServiceInterface* health =
      server->server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    health->SetServingStatus("plait.v1.DataplaneService", true);
  }
  return server;
}

void ApiServer::SetServing(bool serving) {
  if (shut_down_ || server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus("plait.v1.DataplaneService", serving);
}

void ApiServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  if (grpc::HealthCheckServiceInterface* health =
          server_->GetHealthCheckService();
      health != nullptr) {
    health->Shutdown();
  }
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
}

ApiServer::~ApiServer() { Shutdown(std::chrono::milliseconds(0)); }

}  // namespace plait::api
