#include "dataplane/tcp/isn.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>

#include "dataplane/wire/byte_io.h"

namespace plait::tcp {
namespace {

// family + 2 * (IPv6 address + port).
constexpr size_t kMaxTupleSize = 1 + 2 * (16 + 2);

size_t PutEndpoint(uint8_t* p, const wire::IpAddress& address, uint16_t port) {
  const absl::Span<const uint8_t> bytes = address.bytes();
  std::memcpy(p, bytes.data(), bytes.size());
  wire::StoreBe16(p + bytes.size(), port);
  return bytes.size() + 2;
}

}  // namespace

IsnGenerator::IsnGenerator(absl::Span<const uint8_t> secret) {
  if (secret.size() < kMinSecretSize) std::abort();
  if (secret.size() <= kMaxSecretSize) {
    std::memcpy(secret_.data(), secret.data(), secret.size());
    secret_size_ = secret.size();
  } else {
    if (SHA256(secret.data(), secret.size(), secret_.data()) == nullptr) {
      std::abort();
    }
    secret_size_ = SHA256_DIGEST_LENGTH;
  }
}

IsnGenerator::~IsnGenerator() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

uint32_t IsnGenerator::ClockTerm(Time now) {
  const int64_t ticks = SinceEpoch(now) / Microseconds(4);
  return static_cast<uint32_t>(static_cast<uint64_t>(ticks));
}

uint32_t IsnGenerator::HashTerm(const wire::IpAddress& local, uint16_t lport,
                                const wire::IpAddress& remote,
                                uint16_t rport) const {
  uint8_t message[kMaxTupleSize + kMaxSecretSize];
  size_t n = 0;
  // The family byte keeps a v4 tuple from colliding with a v6 one whose
  // bytes happen to concatenate the same way.
  message[n++] = static_cast<uint8_t>((local.is_v4() ? 0x40 : 0x60) |
                                      (remote.is_v4() ? 0x04 : 0x06));
  n += PutEndpoint(message + n, local, lport);
  n += PutEndpoint(message + n, remote, rport);
  std::memcpy(message + n, secret_.data(), secret_size_);
  n += secret_size_;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  // A fixed-size one-shot digest fails only on memory corruption; a made-up
  // ISN would be predictable, so stop.
  if (SHA256(message, n, digest) == nullptr) std::abort();
  const uint32_t f = wire::LoadBe32(digest);
  OPENSSL_cleanse(message, sizeof(message));
  OPENSSL_cleanse(digest, sizeof(digest));
  return f;
}

uint32_t IsnGenerator::Generate(const wire::IpAddress& local, uint16_t lport,
                                const wire::IpAddress& remote, uint16_t rport,
                                Time now) const {
  return ClockTerm(now) + HashTerm(local, lport, remote, rport);
}

}  // namespace plait::tcp
