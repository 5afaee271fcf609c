#include "dataplane/crypto/keys.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/wire/byte_io.h"

namespace plait::crypto {
namespace {

// How many consecutive zero draws GenerateKey tolerates. The chance of even
// one from a working CSPRNG is 2^-64.
constexpr int kMaxZeroDraws = 4;

std::string OpenSslErrorString() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "no OpenSSL error queued";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

bool RandBytesFill(absl::Span<uint8_t> out) {
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

}  // namespace

KeyDerivation DeriveFromKey(uint64_t key) {
  uint8_t in[8];
  wire::StoreBe64(in, key);
  std::array<uint8_t, SHA256_DIGEST_LENGTH> digest;
  // SHA256() over a fixed 8-byte input cannot fail short of memory
  // corruption; a wrong token or IDSN would silently break the connection, so
  // stop rather than continue with garbage.
  if (SHA256(in, sizeof(in), digest.data()) == nullptr) std::abort();
  KeyDerivation d;
  d.token = wire::LoadBe32(digest.data());
  d.idsn = wire::LoadBe64(digest.data() + 24);
  OPENSSL_cleanse(in, sizeof(in));
  OPENSSL_cleanse(digest.data(), digest.size());
  return d;
}

uint32_t TokenFromKey(uint64_t key) { return DeriveFromKey(key).token; }

uint64_t IdsnFromKey(uint64_t key) { return DeriveFromKey(key).idsn; }

namespace internal {

absl::StatusOr<uint64_t> GenerateKeyWith(RandomFill fill) {
  for (int i = 0; i < kMaxZeroDraws; ++i) {
    std::array<uint8_t, 8> buf{};
    if (!fill(absl::MakeSpan(buf))) {
      return absl::InternalError(
          absl::StrCat("RAND_bytes failed: ", OpenSslErrorString()));
    }
    const uint64_t key = wire::LoadBe64(buf.data());
    OPENSSL_cleanse(buf.data(), buf.size());
    if (key != 0) return key;
  }
  return absl::InternalError(absl::StrCat("random source returned a zero key ",
                                          kMaxZeroDraws, " times in a row"));
}

}  // namespace internal

absl::StatusOr<uint64_t> GenerateKey() {
  return internal::GenerateKeyWith(RandBytesFill);
}

absl::StatusOr<GeneratedKey> GenerateUniqueKey(
    absl::FunctionRef<bool(uint32_t token)> token_in_use, int max_attempts) {
  if (max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_attempts must be >= 1, got ", max_attempts));
  }
  for (int i = 0; i < max_attempts; ++i) {
    absl::StatusOr<uint64_t> key = GenerateKey();
    if (!key.ok()) return key.status();
    GeneratedKey out{*key, DeriveFromKey(*key)};
    if (!token_in_use(out.derived.token)) return out;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("every one of ", max_attempts,
                   " generated keys had a token already in use"));
}

}  // namespace plait::crypto
