// The gRPC server plaitd's API runs on: a unix socket by default, or TCP
// (TLS, or mTLS when a client CA is given; plaintext only on loopback),
// with gRPC health checking (grpc.health.v1) and server reflection.
#ifndef PLAIT_DATAPLANE_API_API_SERVER_H_
#define PLAIT_DATAPLANE_API_API_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "grpcpp/impl/service_type.h"

namespace plait::api {

struct ApiServerOptions {
  // "unix:PATH", "HOST:PORT" or "[V6]:PORT" (port 0: any free port).
  std::string address;
  // PEM files. Cert and key together turn TLS on (TCP only); a client CA
  // then makes the server ask for and verify client certificates (mTLS;
  // clients without one may still call what needs no mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

class ApiServer {
 public:
  // Binds and starts serving `services` (not owned; they must outlive the
  // server). Errors name the address or file and the reason: a unix socket
  // another process is serving on, a directory that cannot be created, an
  // unreadable certificate, plaintext TCP on a non-loopback address.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(
      const ApiServerOptions& options,
      const std::vector<grpc::Service*>& services);
  ~ApiServer();

  // What grpc.health.v1 answers (for "" and plait.v1.DataplaneService):
  // NOT_SERVING once plaitd drains, so that a readiness probe takes it out
  // before it goes.
  void SetServing(bool serving);
  // Health turns NOT_SERVING, then in-flight calls get `grace` to finish.
  void Shutdown(std::chrono::milliseconds grace);
  // The address clients use: the unix socket, or HOST:PORT with the port
  // the kernel chose.
  const std::string& address() const { return address_; }

 private:
  ApiServer() = default;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string unix_path_;  // removed on shutdown
  bool shut_down_ = false;
};

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_API_SERVER_H_
