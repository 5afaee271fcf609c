// The HMAC-SHA256 values of RFC 8684: the MP_JOIN handshake HMACs (§3.2) and
// the ADD_ADDR HMAC (§3.4.1). All are HMAC-SHA256 keyed with the two 64-bit
// connection keys concatenated big-endian; they differ in which key comes
// first, what the message is, and which bits are kept (notes A.6, A.7, A.9).
//
// Naming: in MP_JOIN the *initiator* (A) sends the SYN and the third ACK; the
// *responder* (B) sends the SYN/ACK. In ADD_ADDR the *sender* announces the
// address and the *receiver* checks it. Each function takes the keys and
// nonces by role, never as "local"/"remote", so both peers call it with the
// same arguments: the side that computes the value and the side that verifies
// it pass (role -> value) identically, only their local/remote mapping
// differs.
//
// Truncated values returned as integers are the big-endian reading of the
// HMAC bytes they keep, so wire::StoreBe64 writes the exact bytes that go on
// the wire and wire::LoadBe64 of the received bytes gives a comparable value.
//
// All functions are pure. They abort the process if OpenSSL's HMAC fails,
// which with fixed-size inputs only happens on allocation failure; returning a
// made-up value would be worse (an all-zero HMAC is forgeable).
#ifndef PLAIT_DATAPLANE_CRYPTO_HMAC_H_
#define PLAIT_DATAPLANE_CRYPTO_HMAC_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace plait::crypto {

inline constexpr size_t kHmacSha256Size = 32;
// MP_JOIN third ACK carries the leftmost 160 bits (Linux MPTCPOPT_HMAC_LEN).
inline constexpr size_t kJoinAckHmacSize = 20;

using HmacSha256Digest = std::array<uint8_t, kHmacSha256Size>;
using JoinAckHmacBytes = std::array<uint8_t, kJoinAckHmacSize>;

// HMAC-SHA256 (RFC 2104) keyed with the 16 bytes be64(key1) || be64(key2).
HmacSha256Digest HmacSha256(uint64_t key1, uint64_t key2,
                            absl::Span<const uint8_t> message);

// ---------------------------------------------------------------------------
// MP_JOIN
// ---------------------------------------------------------------------------

// The truncated HMAC in the MP_JOIN SYN/ACK: the leftmost 64 bits of
// HMAC-SHA256(Key_B || Key_A, R_B || R_A), B = responder, A = initiator.
//   Computed by: the responder, when it answers a join SYN
//                (its own key and nonce are the responder_* arguments).
//   Verified by: the initiator, on receiving the SYN/ACK
//                (the peer's key and nonce are the responder_* arguments);
//                use VerifyJoinSynAckHmac.
uint64_t JoinSynAckHmac(uint64_t responder_key, uint64_t initiator_key,
                        uint32_t responder_nonce, uint32_t initiator_nonce);

// The HMAC in the MP_JOIN third ACK: the leftmost 160 bits of
// HMAC-SHA256(Key_A || Key_B, R_A || R_B), A = initiator, B = responder.
//   Computed by: the initiator, after it has verified the SYN/ACK
//                (its own key and nonce are the initiator_* arguments).
//   Verified by: the responder, on receiving the third ACK
//                (the peer's key and nonce are the initiator_* arguments);
//                use VerifyJoinAckHmac.
JoinAckHmacBytes JoinAckHmac(uint64_t initiator_key, uint64_t responder_key,
                             uint32_t initiator_nonce,
                             uint32_t responder_nonce);

// Constant-time check of a received SYN/ACK truncated HMAC (as an integer,
// wire::LoadBe64 of the 8 option bytes). Run by the initiator.
bool VerifyJoinSynAckHmac(uint64_t received_hmac, uint64_t responder_key,
                          uint64_t initiator_key, uint32_t responder_nonce,
                          uint32_t initiator_nonce);

// Constant-time check of the 20 HMAC bytes received in a third ACK. Run by the
// responder. A span of any other length than 20 is rejected.
bool VerifyJoinAckHmac(absl::Span<const uint8_t> received_hmac,
                       uint64_t initiator_key, uint64_t responder_key,
                       uint32_t initiator_nonce, uint32_t responder_nonce);

// ---------------------------------------------------------------------------
// ADD_ADDR
// ---------------------------------------------------------------------------

// The ADD_ADDR HMAC: the rightmost 64 bits of
// HMAC-SHA256(Key_sender || Key_receiver,
//              Address ID (1) || Address (4 or 16) || Port (2, big-endian)).
// `address_bytes` is the address in network byte order and must be 4 bytes
// (IPv4) or 16 (IPv6); the option parser enforces that. Shorter spans are
// hashed as given; longer ones are cut to 16 bytes, so their value never
// matches a correct peer's. `port` is 0 when the option carries no port, as
// RFC 8684 §3.4.1 specifies.
//   Computed by: the sender of a non-echo ADD_ADDR (sender_key = its own key).
//   Verified by: the receiver (sender_key = the peer's key); use
//                VerifyAddAddrHmac.
uint64_t AddAddrHmac(uint64_t sender_key, uint64_t receiver_key,
                     uint8_t address_id,
                     absl::Span<const uint8_t> address_bytes, uint16_t port);

// Constant-time check of a received ADD_ADDR HMAC (wire::LoadBe64 of the 8
// option bytes). Run by the receiver.
bool VerifyAddAddrHmac(uint64_t received_hmac, uint64_t sender_key,
                       uint64_t receiver_key, uint8_t address_id,
                       absl::Span<const uint8_t> address_bytes, uint16_t port);

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

// True if the spans have equal length and equal contents. The time taken
// depends on the lengths only, not on the contents (CRYPTO_memcmp), so it does
// not leak how many leading bytes of a forged HMAC were right.
bool ConstantTimeEquals(absl::Span<const uint8_t> a,
                        absl::Span<const uint8_t> b);

// Constant-time equality of two 64-bit values (compared as 8 bytes).
bool ConstantTimeEquals64(uint64_t a, uint64_t b);

}  // namespace plait::crypto

#endif  // PLAIT_DATAPLANE_CRYPTO_HMAC_H_
