// One method per plaitctl command: builds the request, makes the call on
// a DataplaneService stub (any StubInterface: tests pass one connected to
// an in-process server), prints the answer and says which exit status it
// makes.
#ifndef PLAIT_CLI_COMMANDS_H_
#define PLAIT_CLI_COMMANDS_H_

#include <mutex>
#include <ostream>
#include <string>

#include "cli/invocation.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "proto/plait/v1/dataplane.grpc.pb.h"

namespace plait::cli {

// Lets another thread (plaitctl's Ctrl-C handler) cancel the call in
// progress, or the next one if none is: a signal handler itself may not
// touch gRPC.
class CallCanceller {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class Commands;
  void Attach(grpc::ClientContext* context);
  void Detach();

  mutable std::mutex mutex_;
  grpc::ClientContext* context_ = nullptr;
  bool cancelled_ = false;
};

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT.
std::string StatusCodeName(grpc::StatusCode code);

class Commands {
 public:
  // `stub`, `out`, `err` and `canceller` (may be null) must outlive it.
  Commands(plait::v1::DataplaneService::StubInterface* stub,
           GlobalOptions options, std::ostream& out, std::ostream& err,
           CallCanceller* canceller = nullptr)
      : stub_(stub),
        options_(std::move(options)),
        out_(out),
        err_(err),
        canceller_(canceller) {}

  // The exit status (exit_codes.h). kHelp is the caller's.
  int Run(const Invocation& invocation);

 private:
  int Status();
  int ListConnections();
  int ShowConnection(const Invocation& invocation);
  int GetPolicy();
  int SetPolicy(const Invocation& invocation);
  int ValidatePolicy(const Invocation& invocation);
  int Events(const Invocation& invocation);
  // The per-connection calls, which all answer with the connection.
  int Mutate(const Invocation& invocation);

  // A unary call with the --timeout deadline; the error's exit status, or
  // kExitOk with *response filled in.
  template <typename Request, typename Response>
  int Call(grpc::Status (plait::v1::DataplaneService::StubInterface::*method)(
               grpc::ClientContext*, const Request&, Response*),
           const Request& request, Response* response);

  // Prints why a call failed; its exit status.
  int Fail(const grpc::Status& status);
  void PrintConnection(const plait::v1::Connection& connection);

  plait::v1::DataplaneService::StubInterface* stub_;
  GlobalOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  CallCanceller* canceller_;
};

}  // namespace plait::cli

#endif  // PLAIT_CLI_COMMANDS_H_
