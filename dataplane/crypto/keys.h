// MPTCP connection keys and what RFC 8684 derives from them (§3.1, §3.2):
// a 64-bit random key per side, its 32-bit token (which names the connection
// in MP_JOIN) and its 64-bit initial data sequence number (IDSN).
//
// Everything here is a pure function of the key except key generation, which
// draws from OpenSSL's CSPRNG (RAND_bytes).
#ifndef PLAIT_DATAPLANE_CRYPTO_KEYS_H_
#define PLAIT_DATAPLANE_CRYPTO_KEYS_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace plait::crypto {

// Token and IDSN of one key, computed from a single SHA-256 of the key.
struct KeyDerivation {
  uint32_t token = 0;  // most significant 32 bits of SHA-256(be64(key))
  uint64_t idsn = 0;   // least significant 64 bits of SHA-256(be64(key))

  friend bool operator==(const KeyDerivation&, const KeyDerivation&) = default;
};

// Hashes the key once (SHA-256 over its 8 big-endian bytes) and returns both
// the token and the IDSN. Prefer this on the connection set-up path, where both
// are needed.
KeyDerivation DeriveFromKey(uint64_t key);

// Digest bytes 0..3, read big-endian.
uint32_t TokenFromKey(uint64_t key);

// Digest bytes 24..31, read big-endian.
uint64_t IdsnFromKey(uint64_t key);

// A random non-zero key from RAND_bytes. A zero draw is discarded and redrawn
// (a few times at most; a CSPRNG that keeps producing zero is treated as
// broken). Fails with kInternal if RAND_bytes fails.
absl::StatusOr<uint64_t> GenerateKey();

// A key together with its derivation, as returned by GenerateUniqueKey, so the
// caller can register the token without hashing the key again.
struct GeneratedKey {
  uint64_t key = 0;
  KeyDerivation derived;
};

// Default bound for GenerateUniqueKey. With a 32-bit token space a collision
// even once is rare; 64 in a row means the token table is effectively full.
inline constexpr int kDefaultMaxKeyAttempts = 64;

// Like GenerateKey, but regenerates while `token_in_use(token)` returns true,
// as Linux does so that every local token names one connection (notes A.5).
// Calls `token_in_use` at most `max_attempts` times; fails with
// kResourceExhausted if every candidate collided, kInvalidArgument if
// max_attempts < 1, kInternal if RAND_bytes fails. The predicate only checks;
// reserving the token is the caller's job (check-and-insert under the caller's
// lock if the table is shared).
absl::StatusOr<GeneratedKey> GenerateUniqueKey(
    absl::FunctionRef<bool(uint32_t token)> token_in_use,
    int max_attempts = kDefaultMaxKeyAttempts);

namespace internal {

// Fills the span with random bytes; returns false on failure. RAND_bytes in
// production; tests substitute a deterministic source.
using RandomFill = absl::FunctionRef<bool(absl::Span<uint8_t> out)>;

// GenerateKey with an injectable random source (for tests of the zero-retry
// and failure paths).
absl::StatusOr<uint64_t> GenerateKeyWith(RandomFill fill);

}  // namespace internal
}  // namespace plait::crypto

#endif  // PLAIT_DATAPLANE_CRYPTO_KEYS_H_
