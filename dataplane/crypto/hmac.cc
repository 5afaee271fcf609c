#include "dataplane/crypto/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdlib>

#include "dataplane/wire/byte_io.h"

namespace plait::crypto {
namespace {

// Longest ADD_ADDR address: IPv6. The message is ID (1) + address + port (2).
constexpr size_t kMaxAddAddrAddressSize = 16;

}  // namespace

HmacSha256Digest HmacSha256(uint64_t key1, uint64_t key2,
                            absl::Span<const uint8_t> message) {
  uint8_t key[16];
  wire::StoreBe64(key, key1);
  wire::StoreBe64(key + 8, key2);
  // Some OpenSSL paths dislike a null data pointer even with length 0.
  static const uint8_t kEmpty = 0;
  const uint8_t* data = message.empty() ? &kEmpty : message.data();
  HmacSha256Digest out;
  unsigned int out_len = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), key, sizeof(key), data,
                                 message.size(), out.data(), &out_len);
  OPENSSL_cleanse(key, sizeof(key));
  if (ok == nullptr || out_len != out.size()) std::abort();
  return out;
}

uint64_t JoinSynAckHmac(uint64_t responder_key, uint64_t initiator_key,
                        uint32_t responder_nonce, uint32_t initiator_nonce) {
  uint8_t msg[8];
  wire::StoreBe32(msg, responder_nonce);
  wire::StoreBe32(msg + 4, initiator_nonce);
  HmacSha256Digest mac = HmacSha256(responder_key, initiator_key, msg);
  const uint64_t truncated = wire::LoadBe64(mac.data());  // leftmost 64 bits
  OPENSSL_cleanse(mac.data(), mac.size());
  return truncated;
}

JoinAckHmacBytes JoinAckHmac(uint64_t initiator_key, uint64_t responder_key,
                             uint32_t initiator_nonce,
                             uint32_t responder_nonce) {
  uint8_t msg[8];
  wire::StoreBe32(msg, initiator_nonce);
  wire::StoreBe32(msg + 4, responder_nonce);
  HmacSha256Digest mac = HmacSha256(initiator_key, responder_key, msg);
  JoinAckHmacBytes truncated;  // leftmost 160 bits
  std::copy_n(mac.begin(), truncated.size(), truncated.begin());
  OPENSSL_cleanse(mac.data(), mac.size());
  return truncated;
}

bool VerifyJoinSynAckHmac(uint64_t received_hmac, uint64_t responder_key,
                          uint64_t initiator_key, uint32_t responder_nonce,
                          uint32_t initiator_nonce) {
  return ConstantTimeEquals64(received_hmac,
                              JoinSynAckHmac(responder_key, initiator_key,
                                             responder_nonce, initiator_nonce));
}

bool VerifyJoinAckHmac(absl::Span<const uint8_t> received_hmac,
                       uint64_t initiator_key, uint64_t responder_key,
                       uint32_t initiator_nonce, uint32_t responder_nonce) {
  if (received_hmac.size() != kJoinAckHmacSize) return false;
  JoinAckHmacBytes expected = JoinAckHmac(initiator_key, responder_key,
                                          initiator_nonce, responder_nonce);
  const bool equal = ConstantTimeEquals(received_hmac, expected);
  OPENSSL_cleanse(expected.data(), expected.size());
  return equal;
}

uint64_t AddAddrHmac(uint64_t sender_key, uint64_t receiver_key,
                     uint8_t address_id,
                     absl::Span<const uint8_t> address_bytes, uint16_t port) {
  // The parser only ever hands over 4 or 16 bytes; anything longer is cut so
  // the stack buffer cannot overflow (the value is then wrong and any
  // verification fails, which is the right outcome for a malformed address).
  const size_t addr_len =
      std::min(address_bytes.size(), kMaxAddAddrAddressSize);
  uint8_t msg[1 + kMaxAddAddrAddressSize + 2];
  msg[0] = address_id;
  std::copy_n(address_bytes.begin(), addr_len, msg + 1);
  wire::StoreBe16(msg + 1 + addr_len, port);
  HmacSha256Digest mac = HmacSha256(sender_key, receiver_key,
                                    absl::MakeConstSpan(msg, 1 + addr_len + 2));
  // Rightmost 64 bits (RFC 8684 §3.4.1; Linux moved off the leftmost bits).
  const uint64_t truncated = wire::LoadBe64(mac.data() + mac.size() - 8);
  OPENSSL_cleanse(mac.data(), mac.size());
  return truncated;
}

bool VerifyAddAddrHmac(uint64_t received_hmac, uint64_t sender_key,
                       uint64_t receiver_key, uint8_t address_id,
                       absl::Span<const uint8_t> address_bytes, uint16_t port) {
  return ConstantTimeEquals64(
      received_hmac,
      AddAddrHmac(sender_key, receiver_key, address_id, address_bytes, port));
}

bool ConstantTimeEquals(absl::Span<const uint8_t> a,
                        absl::Span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEquals64(uint64_t a, uint64_t b) {
  uint8_t ab[8];
  uint8_t bb[8];
  wire::StoreBe64(ab, a);
  wire::StoreBe64(bb, b);
  return CRYPTO_memcmp(ab, bb, sizeof(ab)) == 0;
}

}  // namespace plait::crypto
