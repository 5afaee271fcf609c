#include "cli/channel.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace plait::cli {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& flag,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || contents.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  return contents.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const GlobalOptions& options) {
  grpc::ChannelArguments arguments;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  const TlsOptions& tls = options.tls;
  if (tls.enabled()) {
    grpc::SslCredentialsOptions ssl;
    if (!tls.ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadPem("tls-ca", tls.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!tls.cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadPem("tls-cert", tls.cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPem("tls-key", tls.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!tls.server_name.empty()) {
      arguments.SetSslTargetNameOverride(tls.server_name);
    }
  }
  return grpc::CreateCustomChannel(options.api, credentials, arguments);
}

}  // namespace plait::cli
