// The MPTCP v1 option codec (RFC 8684 §3, TCP option kind 30): one struct per
// subtype/variant, a parser over one whole option, and a writer. Byte layouts
// follow the Linux and packetdrill implementations (see
// notes/mptcp-protocol.md, Part A).
//
// The codec is syntactic only. It checks lengths, the kind, the subtype and the
// combinations that make an option undecodable (e.g. an ADD_ADDR echo bit that
// disagrees with the HMAC its length implies); it does not judge semantics such
// as the MP_CAPABLE version or flag rules that make Linux fall back to TCP, nor
// which options may share a segment. Reserved bits are ignored when parsing and
// written as zero.
//
// Parsing allocates nothing: variable-sized parts are fixed arrays with a count
// (REMOVE_ADDR) or spans into the packet (MP_EXPERIMENTAL), so a parsed
// MpExperimental must not outlive the packet buffer.
#ifndef PLAIT_DATAPLANE_WIRE_MPTCP_OPTION_H_
#define PLAIT_DATAPLANE_WIRE_MPTCP_OPTION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/tcp_option_space.h"

namespace plait::wire {

inline constexpr uint8_t kMptcpOptionKind = 30;
// All TCP options share the 40-byte option space; no MPTCP option can be
// longer.
inline constexpr size_t kMaxMptcpOptionLength = kTcpOptionSpace;

enum class MptcpSubtype : uint8_t {
  kMpCapable = 0x0,
  kMpJoin = 0x1,
  kDss = 0x2,
  kAddAddr = 0x3,
  kRemoveAddr = 0x4,
  kMpPrio = 0x5,
  kMpFail = 0x6,
  kMpFastclose = 0x7,
  kMpTcpRst = 0x8,
  kMpExperimental = 0xf,
};

// "MP_CAPABLE", "DSS", ...; "UNKNOWN" for 0x9-0xe and anything above 0xf.
const char* MptcpSubtypeName(uint8_t subtype);
inline const char* MptcpSubtypeName(MptcpSubtype subtype) {
  return MptcpSubtypeName(static_cast<uint8_t>(subtype));
}

// ---------------------------------------------------------------------------
// MP_CAPABLE (0x0). The variant follows from which fields are set:
//   SYN 4 (no key), SYN/ACK 12 (sender_key), third ACK 20 (both keys),
//   ACK+data 22 (+ data_level_length) or 24 (+ checksum).
// A v0 SYN is 12 bytes with a key; it parses like a SYN/ACK with version 0.

inline constexpr uint8_t kMpcFlagA = 0x80;  // checksum required
inline constexpr uint8_t kMpcFlagB = 0x40;  // extensibility (must be clear)
inline constexpr uint8_t kMpcFlagC = 0x20;  // no new subflows to source addr
inline constexpr uint8_t kMpcFlagH = 0x01;  // HMAC-SHA256 (must be set)
inline constexpr uint8_t kMptcpVersion1 = 1;

struct MpCapable {
  uint8_t version = kMptcpVersion1;  // 4 bits on the wire
  uint8_t flags = kMpcFlagH;
  std::optional<uint64_t> sender_key;
  std::optional<uint64_t> receiver_key;
  std::optional<uint16_t> data_level_length;
  std::optional<uint16_t> checksum;

  static MpCapable Syn(uint8_t flags, uint8_t version = kMptcpVersion1);
  static MpCapable SynAck(uint8_t flags, uint64_t sender_key);
  // The third ACK: the sender's own key first, then the peer's.
  static MpCapable Ack(uint8_t flags, uint64_t sender_key,
                       uint64_t receiver_key);
  // The third ACK carrying the first data (its mapping is implicit: DSN =
  // IDSN + 1, SSN = 1); `checksum` only when checksums were negotiated.
  static MpCapable AckWithData(uint8_t flags, uint64_t sender_key,
                               uint64_t receiver_key,
                               uint16_t data_level_length,
                               std::optional<uint16_t> checksum = {});

  friend bool operator==(const MpCapable&, const MpCapable&) = default;
};

// ---------------------------------------------------------------------------
// MP_JOIN (0x1): SYN 12, SYN/ACK 16, ACK 24.

struct MpJoinSyn {
  bool backup = false;
  uint8_t address_id = 0;
  uint32_t token = 0;  // the receiver's token
  uint32_t nonce = 0;  // the sender's random R_A
  friend bool operator==(const MpJoinSyn&, const MpJoinSyn&) = default;
};

struct MpJoinSynAck {
  bool backup = false;
  uint8_t address_id = 0;
  uint64_t truncated_hmac = 0;  // leftmost 64 bits of the HMAC
  uint32_t nonce = 0;           // R_B
  friend bool operator==(const MpJoinSynAck&, const MpJoinSynAck&) = default;
};

inline constexpr size_t kMpJoinAckHmacLength = 20;  // 160 bits

struct MpJoinAck {
  std::array<uint8_t, kMpJoinAckHmacLength> hmac{};
  friend bool operator==(const MpJoinAck&, const MpJoinAck&) = default;
};

// ---------------------------------------------------------------------------
// DSS (0x2). Flags byte: reserved(3) F m M a A.

inline constexpr uint8_t kDssFlagDataFin = 0x10;  // F
inline constexpr uint8_t kDssFlagDsn64 = 0x08;    // m
inline constexpr uint8_t kDssFlagMapping = 0x04;  // M
inline constexpr uint8_t kDssFlagAck64 = 0x02;    // a
inline constexpr uint8_t kDssFlagAck = 0x01;      // A

struct DssMapping {
  // With dsn_64 false only the low 32 bits go on the wire; the writer refuses
  // a larger value (expand received ones with ExpandDsn32, sequence.h).
  uint64_t dsn = 0;
  bool dsn_64 = true;
  uint32_t subflow_seq = 0;        // relative to the subflow's initial seq
  uint16_t data_level_length = 0;  // 0 = infinite mapping
  std::optional<uint16_t> checksum;
  friend bool operator==(const DssMapping&, const DssMapping&) = default;
};

struct Dss {
  // With data_ack_64 false the value must fit in 32 bits.
  std::optional<uint64_t> data_ack;
  // Meaningful only with data_ack. The parser sets it only when A is set and
  // the writer sets `a` only with A (Linux also ignores `a` without A, and `m`
  // without M), so a stray `a` or `m` bit is dropped by a parse/write cycle.
  bool data_ack_64 = false;
  std::optional<DssMapping> mapping;
  bool data_fin = false;

  uint8_t flags() const;
  friend bool operator==(const Dss&, const Dss&) = default;
};

// The DSS length the flags imply, without the optional checksum.
size_t DssLengthForFlags(uint8_t flags);

// ---------------------------------------------------------------------------
// ADD_ADDR (0x3). The address family follows from the length: 8/10 IPv4 echo
// (without/with port), 16/18 IPv4 with HMAC, 20/22 IPv6 echo, 28/30 IPv6 with
// HMAC. An echo carries no HMAC and a non-echo must carry one.

inline constexpr uint8_t kAddAddrFlagEcho = 0x1;

struct AddAddr {
  bool echo = false;
  uint8_t address_id = 0;
  IpAddress address;
  std::optional<uint16_t> port;
  std::optional<uint64_t> truncated_hmac;  // rightmost 64 bits of the HMAC
  friend bool operator==(const AddAddr&, const AddAddr&) = default;
};

// ---------------------------------------------------------------------------
// REMOVE_ADDR (0x4): length 3 + n, 1 <= n <= 37 (37 fill the 40 option bytes;
// Linux itself sends at most 8).

inline constexpr size_t kMaxRemoveAddrIds = kMaxMptcpOptionLength - 3;

struct RemoveAddr {
  std::array<uint8_t, kMaxRemoveAddrIds> ids{};
  uint8_t count = 0;

  // Fails if `ids` is empty or longer than kMaxRemoveAddrIds.
  static absl::StatusOr<RemoveAddr> Of(absl::Span<const uint8_t> ids);
  // Appends one ID; false when full.
  bool Add(uint8_t id);
  absl::Span<const uint8_t> id_span() const {
    return absl::MakeConstSpan(ids.data(),
                               count < ids.size() ? count : ids.size());
  }

  // Compares only the first `count` IDs.
  friend bool operator==(const RemoveAddr& a, const RemoveAddr& b);
};

// ---------------------------------------------------------------------------
// MP_PRIO (0x5): length 3 in v1. A 4-byte form with an address ID exists in v0;
// it is parsed (address_id set) but Linux v1 silently ignores it, and so should
// the connection logic.

struct MpPrio {
  bool backup = false;
  std::optional<uint8_t> address_id;  // v0 only
  friend bool operator==(const MpPrio&, const MpPrio&) = default;
};

// ---------------------------------------------------------------------------
// MP_FAIL (0x6) 12, MP_FASTCLOSE (0x7) 12, MP_TCPRST (0x8) 4.

struct MpFail {
  uint64_t dsn = 0;
  friend bool operator==(const MpFail&, const MpFail&) = default;
};

struct MpFastclose {
  uint64_t receiver_key = 0;
  friend bool operator==(const MpFastclose&, const MpFastclose&) = default;
};

enum class TcpRstReason : uint8_t {
  kUnspecified = 0,
  kMptcpSpecific = 1,
  kLackOfResources = 2,
  kAdministrativelyProhibited = 3,
  kTooMuchOutstandingData = 4,
  kUnacceptablePerformance = 5,
  kMiddleboxInterference = 6,
};

// "unspecified", "mptcp_specific", ...; "unknown" above 6.
const char* TcpRstReasonName(uint8_t reason);

inline constexpr uint8_t kTcpRstFlagTransient = 0x1;

struct MpTcpRst {
  bool transient = false;
  uint8_t reason = 0;  // a TcpRstReason, but unassigned codes are kept as is
  friend bool operator==(const MpTcpRst&, const MpTcpRst&) = default;
};

// ---------------------------------------------------------------------------
// MP_EXPERIMENTAL (0xf), kept opaque: the low nibble of the subtype byte and
// the bytes after it (a view into the packet, or into caller-owned storage
// when writing). Length 3 + payload.size(), at most 40.

struct MpExperimental {
  uint8_t nibble = 0;  // low 4 bits of byte 2
  absl::Span<const uint8_t> payload;

  // Compares payload contents, not addresses.
  friend bool operator==(const MpExperimental& a, const MpExperimental& b);
};

// ---------------------------------------------------------------------------

using MptcpOption = std::variant<MpCapable, MpJoinSyn, MpJoinSynAck, MpJoinAck,
                                 Dss, AddAddr, RemoveAddr, MpPrio, MpFail,
                                 MpFastclose, MpTcpRst, MpExperimental>;

MptcpSubtype SubtypeOf(const MptcpOption& option);
inline const char* MptcpSubtypeName(const MptcpOption& option) {
  return MptcpSubtypeName(SubtypeOf(option));
}

// Parses one whole option, kind (30) and length bytes included, exactly as the
// TCP options parser hands it over: the length byte must equal option.size().
// Errors name the subtype and what is wrong. Never reads past the span.
absl::StatusOr<MptcpOption> ParseMptcpOption(absl::Span<const uint8_t> option);

// OK if the option can be written; otherwise says why (e.g. a REMOVE_ADDR with
// no IDs, a 32-bit DSN field holding a larger value, a receiver key without a
// sender key).
absl::Status CheckEncodable(const MptcpOption& option);

// The encoded length including kind and length bytes; 0 if not encodable.
size_t EncodedLength(const MptcpOption& option);

// Writes kind 30, length and body (no NOP padding). Returns false, writing
// nothing, if the option is not encodable or does not fit in `out`.
bool WriteMptcpOption(const MptcpOption& option, ByteWriter& out);

// One line for humans, e.g. "DSS ack=123 dsn=456 ssn=1 len=1000 csum=0x1234
// fin". 64-bit sequence fields are shown as ack64=/dsn64=.
std::string Describe(const MptcpOption& option);

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_MPTCP_OPTION_H_
