// The gRPC channel to plaitd from the global flags: the address, and TLS or
// mTLS when --tls-* flags are given (plain otherwise, as over plaitd's
// default unix socket, which file permissions protect).
#ifndef PLAIT_CLI_CHANNEL_H_
#define PLAIT_CLI_CHANNEL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "cli/invocation.h"
#include "grpcpp/channel.h"

namespace plait::cli {

// InvalidArgument when a TLS file cannot be read. Does not connect: the
// first call does.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const GlobalOptions& options);

}  // namespace plait::cli

#endif  // PLAIT_CLI_CHANNEL_H_
