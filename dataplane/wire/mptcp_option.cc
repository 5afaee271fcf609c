#include "dataplane/wire/mptcp_option.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace plait::wire {
namespace {

using absl::InvalidArgumentError;
using absl::StrFormat;

constexpr uint8_t SubtypeByte(MptcpSubtype subtype, uint8_t nibble) {
  return static_cast<uint8_t>((static_cast<uint8_t>(subtype) << 4) |
                              (nibble & 0x0f));
}

// Every length check below makes the following reads fit; a failed read would
// mean a bug in those checks, reported instead of crashing.
absl::Status ShortRead(const char* name) {
  return absl::InternalError(StrFormat("%s: option ended early", name));
}

std::string DssFlagLetters(uint8_t flags) {
  std::string s;
  const auto add = [&](uint8_t bit, char letter) {
    if (flags & bit) {
      if (!s.empty()) s += ' ';
      s += letter;
    }
  };
  add(kDssFlagDataFin, 'F');
  add(kDssFlagDsn64, 'm');
  add(kDssFlagMapping, 'M');
  add(kDssFlagAck64, 'a');
  add(kDssFlagAck, 'A');
  return s;
}

std::string MpcFlagLetters(uint8_t flags) {
  std::string s;
  for (int bit = 7; bit >= 0; --bit) {
    if (flags & (1u << bit)) {
      if (!s.empty()) s += ' ';
      s += static_cast<char>('A' + (7 - bit));
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Parsers. `r` is positioned after the subtype byte; `length` equals the span
// size and is at least 3.

absl::StatusOr<MptcpOption> ParseMpCapable(ByteReader& r, uint8_t nibble,
                                           size_t length) {
  if (length != 4 && length != 12 && length != 20 && length != 22 &&
      length != 24) {
    return InvalidArgumentError(
        StrFormat("MP_CAPABLE: length %u matches no variant (4 SYN, 12 "
                  "SYN/ACK, 20 ACK, 22 ACK+data, 24 ACK+data+checksum)",
                  length));
  }
  MpCapable mpc;
  mpc.version = nibble;
  if (!r.ReadU8(&mpc.flags)) return ShortRead("MP_CAPABLE");
  uint64_t key;
  uint16_t v16;
  if (length >= 12) {
    if (!r.ReadU64(&key)) return ShortRead("MP_CAPABLE");
    mpc.sender_key = key;
  }
  if (length >= 20) {
    if (!r.ReadU64(&key)) return ShortRead("MP_CAPABLE");
    mpc.receiver_key = key;
  }
  if (length >= 22) {
    if (!r.ReadU16(&v16)) return ShortRead("MP_CAPABLE");
    mpc.data_level_length = v16;
  }
  if (length == 24) {
    if (!r.ReadU16(&v16)) return ShortRead("MP_CAPABLE");
    mpc.checksum = v16;
  }
  return mpc;
}

absl::StatusOr<MptcpOption> ParseMpJoin(ByteReader& r, uint8_t nibble,
                                        size_t length) {
  const bool backup = (nibble & 0x1) != 0;
  switch (length) {
    case 12: {
      MpJoinSyn syn;
      syn.backup = backup;
      if (!r.ReadU8(&syn.address_id) || !r.ReadU32(&syn.token) ||
          !r.ReadU32(&syn.nonce)) {
        return ShortRead("MP_JOIN");
      }
      return syn;
    }
    case 16: {
      MpJoinSynAck synack;
      synack.backup = backup;
      if (!r.ReadU8(&synack.address_id) || !r.ReadU64(&synack.truncated_hmac) ||
          !r.ReadU32(&synack.nonce)) {
        return ShortRead("MP_JOIN");
      }
      return synack;
    }
    case 24: {
      MpJoinAck ack;
      absl::Span<const uint8_t> hmac;
      if (!r.Skip(1) || !r.ReadBytes(kMpJoinAckHmacLength, &hmac)) {
        return ShortRead("MP_JOIN");
      }
      std::copy(hmac.begin(), hmac.end(), ack.hmac.begin());
      return ack;
    }
    default:
      return InvalidArgumentError(
          StrFormat("MP_JOIN: length %u matches no variant (12 SYN, 16 "
                    "SYN/ACK, 24 ACK)",
                    length));
  }
}

absl::StatusOr<MptcpOption> ParseDss(ByteReader& r, size_t length) {
  uint8_t flags;
  if (!r.ReadU8(&flags)) {
    return InvalidArgumentError(
        StrFormat("DSS: length %u has no flags byte (at least 4)", length));
  }
  const size_t expected = DssLengthForFlags(flags);
  const bool has_mapping = (flags & kDssFlagMapping) != 0;
  bool has_checksum = false;
  if (length == expected + 2 && has_mapping) {
    has_checksum = true;
  } else if (length != expected) {
    if (has_mapping) {
      return InvalidArgumentError(StrFormat(
          "DSS: flags 0x%02x [%s] need length %u (%u with checksum), got %u",
          flags, DssFlagLetters(flags), expected, expected + 2, length));
    }
    return InvalidArgumentError(
        StrFormat("DSS: flags 0x%02x [%s] need length %u, got %u", flags,
                  DssFlagLetters(flags), expected, length));
  }

  Dss dss;
  dss.data_fin = (flags & kDssFlagDataFin) != 0;
  if (flags & kDssFlagAck) {
    dss.data_ack_64 = (flags & kDssFlagAck64) != 0;
    if (dss.data_ack_64) {
      uint64_t ack;
      if (!r.ReadU64(&ack)) return ShortRead("DSS");
      dss.data_ack = ack;
    } else {
      uint32_t ack;
      if (!r.ReadU32(&ack)) return ShortRead("DSS");
      dss.data_ack = ack;
    }
  }
  if (has_mapping) {
    DssMapping m;
    m.dsn_64 = (flags & kDssFlagDsn64) != 0;
    if (m.dsn_64) {
      if (!r.ReadU64(&m.dsn)) return ShortRead("DSS");
    } else {
      uint32_t dsn;
      if (!r.ReadU32(&dsn)) return ShortRead("DSS");
      m.dsn = dsn;
    }
    if (!r.ReadU32(&m.subflow_seq) || !r.ReadU16(&m.data_level_length)) {
      return ShortRead("DSS");
    }
    if (has_checksum) {
      uint16_t csum;
      if (!r.ReadU16(&csum)) return ShortRead("DSS");
      m.checksum = csum;
    }
    dss.mapping = m;
  }
  return dss;
}

// The eight ADD_ADDR layouts, told apart by length alone.
struct AddAddrShape {
  size_t length;
  bool v6;
  bool port;
  bool hmac;
};
constexpr AddAddrShape kAddAddrShapes[] = {
    {8, false, false, false}, {10, false, true, false},
    {16, false, false, true}, {18, false, true, true},
    {20, true, false, false}, {22, true, true, false},
    {28, true, false, true},  {30, true, true, true},
};

absl::StatusOr<MptcpOption> ParseAddAddr(ByteReader& r, uint8_t nibble,
                                         size_t length) {
  const AddAddrShape* shape = nullptr;
  for (const AddAddrShape& s : kAddAddrShapes) {
    if (s.length == length) shape = &s;
  }
  if (shape == nullptr) {
    return InvalidArgumentError(StrFormat(
        "ADD_ADDR: length %u matches no variant (IPv4: 8/10 echo, 16/18 "
        "with HMAC; IPv6: 20/22 echo, 28/30 with HMAC; +2 with port)",
        length));
  }
  const bool v6 = shape->v6, has_port = shape->port, has_hmac = shape->hmac;
  AddAddr add;
  add.echo = (nibble & kAddAddrFlagEcho) != 0;
  if (add.echo && has_hmac) {
    return InvalidArgumentError(StrFormat(
        "ADD_ADDR: echo bit set but length %u carries an HMAC", length));
  }
  if (!add.echo && !has_hmac) {
    return InvalidArgumentError(StrFormat(
        "ADD_ADDR: echo bit clear but length %u carries no HMAC", length));
  }
  absl::Span<const uint8_t> addr;
  if (!r.ReadU8(&add.address_id) || !r.ReadBytes(v6 ? 16 : 4, &addr)) {
    return ShortRead("ADD_ADDR");
  }
  add.address = v6 ? IpAddress::V6Bytes(addr) : IpAddress::V4Bytes(addr);
  if (has_port) {
    uint16_t port;
    if (!r.ReadU16(&port)) return ShortRead("ADD_ADDR");
    add.port = port;
  }
  if (has_hmac) {
    uint64_t hmac;
    if (!r.ReadU64(&hmac)) return ShortRead("ADD_ADDR");
    add.truncated_hmac = hmac;
  }
  return add;
}

absl::StatusOr<MptcpOption> ParseRemoveAddr(ByteReader& r, size_t length) {
  const size_t n = length - 3;
  if (n == 0) {
    return InvalidArgumentError(
        "REMOVE_ADDR: length 3 carries no address ID (needs 4 to 40)");
  }
  if (n > kMaxRemoveAddrIds) {
    return InvalidArgumentError(
        StrFormat("REMOVE_ADDR: length %u carries %u IDs, more than the %u "
                  "that fit in 40 bytes",
                  length, n, kMaxRemoveAddrIds));
  }
  RemoveAddr rm;
  absl::Span<const uint8_t> ids;
  if (!r.ReadBytes(n, &ids)) return ShortRead("REMOVE_ADDR");
  std::copy(ids.begin(), ids.end(), rm.ids.begin());
  rm.count = static_cast<uint8_t>(n);
  return rm;
}

absl::StatusOr<MptcpOption> ParseMpPrio(ByteReader& r, uint8_t nibble,
                                        size_t length) {
  MpPrio prio;
  prio.backup = (nibble & 0x1) != 0;
  if (length == 4) {
    // The v0 form with an address ID. Linux v1 silently ignores it (packetdrill
    // mp_prio_server_v4.pkt); it is decoded here so callers can tell.
    uint8_t id;
    if (!r.ReadU8(&id)) return ShortRead("MP_PRIO");
    prio.address_id = id;
  } else if (length != 3) {
    return InvalidArgumentError(StrFormat(
        "MP_PRIO: length %u matches no variant (3 v1, 4 v0 with address ID)",
        length));
  }
  return prio;
}

absl::StatusOr<MptcpOption> ParseMpFail(ByteReader& r, size_t length) {
  if (length != 12) {
    return InvalidArgumentError(
        StrFormat("MP_FAIL: length %u is not 12", length));
  }
  MpFail fail;
  if (!r.Skip(1) || !r.ReadU64(&fail.dsn)) return ShortRead("MP_FAIL");
  return fail;
}

absl::StatusOr<MptcpOption> ParseMpFastclose(ByteReader& r, size_t length) {
  if (length != 12) {
    return InvalidArgumentError(
        StrFormat("MP_FASTCLOSE: length %u is not 12", length));
  }
  MpFastclose fc;
  if (!r.Skip(1) || !r.ReadU64(&fc.receiver_key)) {
    return ShortRead("MP_FASTCLOSE");
  }
  return fc;
}

absl::StatusOr<MptcpOption> ParseMpTcpRst(ByteReader& r, uint8_t nibble,
                                          size_t length) {
  if (length != 4) {
    return InvalidArgumentError(
        StrFormat("MP_TCPRST: length %u is not 4", length));
  }
  MpTcpRst rst;
  rst.transient = (nibble & kTcpRstFlagTransient) != 0;
  if (!r.ReadU8(&rst.reason)) return ShortRead("MP_TCPRST");
  return rst;
}

absl::StatusOr<MptcpOption> ParseMpExperimental(ByteReader& r, uint8_t nibble,
                                                size_t length) {
  if (length > kMaxMptcpOptionLength) {
    return InvalidArgumentError(
        StrFormat("MP_EXPERIMENTAL: length %u exceeds the %u bytes of TCP "
                  "option space",
                  length, kMaxMptcpOptionLength));
  }
  MpExperimental exp;
  exp.nibble = nibble;
  exp.payload = r.Rest();
  return exp;
}

// ---------------------------------------------------------------------------
// Encodability checks, lengths (valid options only) and writers.

absl::Status Check(const MpCapable& o) {
  if (o.version > 0x0f) {
    return InvalidArgumentError(
        StrFormat("MP_CAPABLE: version %u does not fit in 4 bits", o.version));
  }
  if (o.receiver_key && !o.sender_key) {
    return InvalidArgumentError("MP_CAPABLE: receiver key without sender key");
  }
  if (o.data_level_length && !o.receiver_key) {
    return InvalidArgumentError(
        "MP_CAPABLE: data-level length without both keys");
  }
  if (o.checksum && !o.data_level_length) {
    return InvalidArgumentError(
        "MP_CAPABLE: checksum without data-level length");
  }
  return absl::OkStatus();
}
absl::Status Check(const MpJoinSyn&) { return absl::OkStatus(); }
absl::Status Check(const MpJoinSynAck&) { return absl::OkStatus(); }
absl::Status Check(const MpJoinAck&) { return absl::OkStatus(); }
absl::Status Check(const Dss& o) {
  if (o.data_ack && !o.data_ack_64 && *o.data_ack > 0xffffffffu) {
    return InvalidArgumentError(StrFormat(
        "DSS: data ACK %u does not fit the 32-bit field", *o.data_ack));
  }
  if (o.mapping && !o.mapping->dsn_64 && o.mapping->dsn > 0xffffffffu) {
    return InvalidArgumentError(
        StrFormat("DSS: DSN %u does not fit the 32-bit field", o.mapping->dsn));
  }
  return absl::OkStatus();
}
absl::Status Check(const AddAddr& o) {
  if (o.echo && o.truncated_hmac) {
    return InvalidArgumentError("ADD_ADDR: echo must not carry an HMAC");
  }
  if (!o.echo && !o.truncated_hmac) {
    return InvalidArgumentError("ADD_ADDR: non-echo must carry an HMAC");
  }
  return absl::OkStatus();
}
absl::Status Check(const RemoveAddr& o) {
  if (o.count == 0) {
    return InvalidArgumentError("REMOVE_ADDR: no address IDs");
  }
  if (o.count > kMaxRemoveAddrIds) {
    return InvalidArgumentError(StrFormat("REMOVE_ADDR: %u IDs, more than %u",
                                          o.count, kMaxRemoveAddrIds));
  }
  return absl::OkStatus();
}
absl::Status Check(const MpPrio&) { return absl::OkStatus(); }
absl::Status Check(const MpFail&) { return absl::OkStatus(); }
absl::Status Check(const MpFastclose&) { return absl::OkStatus(); }
absl::Status Check(const MpTcpRst&) { return absl::OkStatus(); }
absl::Status Check(const MpExperimental& o) {
  if (o.nibble > 0x0f) {
    return InvalidArgumentError(StrFormat(
        "MP_EXPERIMENTAL: nibble 0x%x does not fit in 4 bits", o.nibble));
  }
  if (3 + o.payload.size() > kMaxMptcpOptionLength) {
    return InvalidArgumentError(
        StrFormat("MP_EXPERIMENTAL: %u payload bytes exceed the 40-byte "
                  "option space",
                  o.payload.size()));
  }
  return absl::OkStatus();
}

size_t Length(const MpCapable& o) {
  return 4 + (o.sender_key ? 8 : 0) + (o.receiver_key ? 8 : 0) +
         (o.data_level_length ? 2 : 0) + (o.checksum ? 2 : 0);
}
size_t Length(const MpJoinSyn&) { return 12; }
size_t Length(const MpJoinSynAck&) { return 16; }
size_t Length(const MpJoinAck&) { return 24; }
size_t Length(const Dss& o) {
  return DssLengthForFlags(o.flags()) +
         (o.mapping && o.mapping->checksum ? 2 : 0);
}
size_t Length(const AddAddr& o) {
  return 4 + (o.address.is_v4() ? 4 : 16) + (o.port ? 2 : 0) +
         (o.truncated_hmac ? 8 : 0);
}
size_t Length(const RemoveAddr& o) { return 3 + size_t{o.count}; }
size_t Length(const MpPrio& o) { return o.address_id ? 4 : 3; }
size_t Length(const MpFail&) { return 12; }
size_t Length(const MpFastclose&) { return 12; }
size_t Length(const MpTcpRst&) { return 4; }
size_t Length(const MpExperimental& o) { return 3 + o.payload.size(); }

void WriteBody(const MpCapable& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpCapable, o.version));
  w.WriteU8(o.flags);
  if (o.sender_key) w.WriteU64(*o.sender_key);
  if (o.receiver_key) w.WriteU64(*o.receiver_key);
  if (o.data_level_length) w.WriteU16(*o.data_level_length);
  if (o.checksum) w.WriteU16(*o.checksum);
}
void WriteBody(const MpJoinSyn& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpJoin, o.backup ? 1 : 0));
  w.WriteU8(o.address_id);
  w.WriteU32(o.token);
  w.WriteU32(o.nonce);
}
void WriteBody(const MpJoinSynAck& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpJoin, o.backup ? 1 : 0));
  w.WriteU8(o.address_id);
  w.WriteU64(o.truncated_hmac);
  w.WriteU32(o.nonce);
}
void WriteBody(const MpJoinAck& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpJoin, 0));
  w.WriteU8(0);  // reserved
  w.WriteBytes(o.hmac);
}
void WriteBody(const Dss& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kDss, 0));
  w.WriteU8(o.flags());
  if (o.data_ack) {
    if (o.data_ack_64) {
      w.WriteU64(*o.data_ack);
    } else {
      w.WriteU32(static_cast<uint32_t>(*o.data_ack));
    }
  }
  if (o.mapping) {
    const DssMapping& m = *o.mapping;
    if (m.dsn_64) {
      w.WriteU64(m.dsn);
    } else {
      w.WriteU32(static_cast<uint32_t>(m.dsn));
    }
    w.WriteU32(m.subflow_seq);
    w.WriteU16(m.data_level_length);
    if (m.checksum) w.WriteU16(*m.checksum);
  }
}
void WriteBody(const AddAddr& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kAddAddr, o.echo ? kAddAddrFlagEcho : 0));
  w.WriteU8(o.address_id);
  w.WriteBytes(o.address.bytes());
  if (o.port) w.WriteU16(*o.port);
  if (o.truncated_hmac) w.WriteU64(*o.truncated_hmac);
}
void WriteBody(const RemoveAddr& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kRemoveAddr, 0));
  w.WriteBytes(o.id_span());
}
void WriteBody(const MpPrio& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpPrio, o.backup ? 1 : 0));
  if (o.address_id) w.WriteU8(*o.address_id);
}
void WriteBody(const MpFail& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpFail, 0));
  w.WriteU8(0);  // reserved
  w.WriteU64(o.dsn);
}
void WriteBody(const MpFastclose& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpFastclose, 0));
  w.WriteU8(0);  // reserved
  w.WriteU64(o.receiver_key);
}
void WriteBody(const MpTcpRst& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpTcpRst,
                        o.transient ? kTcpRstFlagTransient : 0));
  w.WriteU8(o.reason);
}
void WriteBody(const MpExperimental& o, ByteWriter& w) {
  w.WriteU8(SubtypeByte(MptcpSubtype::kMpExperimental, o.nibble));
  w.WriteBytes(o.payload);
}

// ---------------------------------------------------------------------------
// Describe.

std::string Hex(absl::Span<const uint8_t> bytes) {
  std::string s;
  for (uint8_t b : bytes) absl::StrAppend(&s, StrFormat("%02x", b));
  return s;
}

std::string Desc(const MpCapable& o) {
  std::string s = StrFormat("MP_CAPABLE v%u flags=0x%02x", o.version, o.flags);
  if (o.flags != 0) absl::StrAppend(&s, "[", MpcFlagLetters(o.flags), "]");
  if (o.sender_key)
    absl::StrAppend(&s, StrFormat(" skey=0x%016x", *o.sender_key));
  if (o.receiver_key) {
    absl::StrAppend(&s, StrFormat(" rkey=0x%016x", *o.receiver_key));
  }
  if (o.data_level_length) {
    absl::StrAppend(&s, StrFormat(" len=%u", *o.data_level_length));
  }
  if (o.checksum) absl::StrAppend(&s, StrFormat(" csum=0x%04x", *o.checksum));
  return s;
}
std::string Desc(const MpJoinSyn& o) {
  return StrFormat("MP_JOIN SYN backup=%d id=%u token=0x%08x nonce=0x%08x",
                   o.backup ? 1 : 0, o.address_id, o.token, o.nonce);
}
std::string Desc(const MpJoinSynAck& o) {
  return StrFormat("MP_JOIN SYN/ACK backup=%d id=%u hmac=0x%016x nonce=0x%08x",
                   o.backup ? 1 : 0, o.address_id, o.truncated_hmac, o.nonce);
}
std::string Desc(const MpJoinAck& o) {
  return absl::StrCat("MP_JOIN ACK hmac=", Hex(o.hmac));
}
std::string Desc(const Dss& o) {
  std::string s = "DSS";
  if (o.data_ack) {
    absl::StrAppend(&s, o.data_ack_64 ? " ack64=" : " ack=", *o.data_ack);
  }
  if (o.mapping) {
    const DssMapping& m = *o.mapping;
    absl::StrAppend(&s, m.dsn_64 ? " dsn64=" : " dsn=", m.dsn,
                    " ssn=", m.subflow_seq, " len=", m.data_level_length);
    if (m.data_level_length == 0) absl::StrAppend(&s, " infinite");
    if (m.checksum) absl::StrAppend(&s, StrFormat(" csum=0x%04x", *m.checksum));
  }
  if (o.data_fin) absl::StrAppend(&s, " fin");
  return s;
}
std::string Desc(const AddAddr& o) {
  std::string s = "ADD_ADDR";
  if (o.echo) absl::StrAppend(&s, " echo");
  absl::StrAppend(&s, " id=", o.address_id, " ", o.address.ToString());
  if (o.port) absl::StrAppend(&s, " port=", *o.port);
  if (o.truncated_hmac) {
    absl::StrAppend(&s, StrFormat(" hmac=0x%016x", *o.truncated_hmac));
  }
  return s;
}
std::string Desc(const RemoveAddr& o) {
  return absl::StrCat(
      "REMOVE_ADDR ids=",
      absl::StrJoin(o.id_span(), ",", [](std::string* out, uint8_t id) {
        absl::StrAppend(out, id);
      }));
}
std::string Desc(const MpPrio& o) {
  std::string s = absl::StrCat("MP_PRIO backup=", o.backup ? 1 : 0);
  if (o.address_id) absl::StrAppend(&s, " id=", *o.address_id, " (v0)");
  return s;
}
std::string Desc(const MpFail& o) {
  return absl::StrCat("MP_FAIL dsn=", o.dsn);
}
std::string Desc(const MpFastclose& o) {
  return StrFormat("MP_FASTCLOSE key=0x%016x", o.receiver_key);
}
std::string Desc(const MpTcpRst& o) {
  return StrFormat("MP_TCPRST reason=%u (%s)%s", o.reason,
                   TcpRstReasonName(o.reason), o.transient ? " transient" : "");
}
std::string Desc(const MpExperimental& o) {
  std::string s = StrFormat("MP_EXPERIMENTAL nibble=0x%x", o.nibble);
  if (!o.payload.empty()) absl::StrAppend(&s, " data=", Hex(o.payload));
  return s;
}

}  // namespace

const char* MptcpSubtypeName(uint8_t subtype) {
  switch (subtype) {
    case 0x0:
      return "MP_CAPABLE";
    case 0x1:
      return "MP_JOIN";
    case 0x2:
      return "DSS";
    case 0x3:
      return "ADD_ADDR";
    case 0x4:
      return "REMOVE_ADDR";
    case 0x5:
      return "MP_PRIO";
    case 0x6:
      return "MP_FAIL";
    case 0x7:
      return "MP_FASTCLOSE";
    case 0x8:
      return "MP_TCPRST";
    case 0xf:
      return "MP_EXPERIMENTAL";
    default:
      return "UNKNOWN";
  }
}

const char* TcpRstReasonName(uint8_t reason) {
  switch (reason) {
    case 0:
      return "unspecified";
    case 1:
      return "mptcp_specific";
    case 2:
      return "lack_of_resources";
    case 3:
      return "administratively_prohibited";
    case 4:
      return "too_much_outstanding_data";
    case 5:
      return "unacceptable_performance";
    case 6:
      return "middlebox_interference";
    default:
      return "unknown";
  }
}

MpCapable MpCapable::Syn(uint8_t flags, uint8_t version) {
  MpCapable m;
  m.version = version;
  m.flags = flags;
  return m;
}

MpCapable MpCapable::SynAck(uint8_t flags, uint64_t sender_key) {
  MpCapable m = Syn(flags);
  m.sender_key = sender_key;
  return m;
}

MpCapable MpCapable::Ack(uint8_t flags, uint64_t sender_key,
                         uint64_t receiver_key) {
  MpCapable m = SynAck(flags, sender_key);
  m.receiver_key = receiver_key;
  return m;
}

MpCapable MpCapable::AckWithData(uint8_t flags, uint64_t sender_key,
                                 uint64_t receiver_key,
                                 uint16_t data_level_length,
                                 std::optional<uint16_t> checksum) {
  MpCapable m = Ack(flags, sender_key, receiver_key);
  m.data_level_length = data_level_length;
  m.checksum = checksum;
  return m;
}

uint8_t Dss::flags() const {
  uint8_t f = 0;
  if (data_fin) f |= kDssFlagDataFin;
  if (data_ack) {
    f |= kDssFlagAck;
    if (data_ack_64) f |= kDssFlagAck64;
  }
  if (mapping) {
    f |= kDssFlagMapping;
    if (mapping->dsn_64) f |= kDssFlagDsn64;
  }
  return f;
}

size_t DssLengthForFlags(uint8_t flags) {
  size_t len = 4;
  if (flags & kDssFlagAck) len += (flags & kDssFlagAck64) ? 8 : 4;
  if (flags & kDssFlagMapping) len += ((flags & kDssFlagDsn64) ? 8 : 4) + 6;
  return len;
}

absl::StatusOr<RemoveAddr> RemoveAddr::Of(absl::Span<const uint8_t> ids) {
  if (ids.empty()) {
    return InvalidArgumentError("REMOVE_ADDR: no address IDs");
  }
  if (ids.size() > kMaxRemoveAddrIds) {
    return InvalidArgumentError(StrFormat("REMOVE_ADDR: %u IDs, more than %u",
                                          ids.size(), kMaxRemoveAddrIds));
  }
  RemoveAddr rm;
  std::copy(ids.begin(), ids.end(), rm.ids.begin());
  rm.count = static_cast<uint8_t>(ids.size());
  return rm;
}

bool RemoveAddr::Add(uint8_t id) {
  if (count >= kMaxRemoveAddrIds) return false;
  ids[count++] = id;
  return true;
}

bool operator==(const RemoveAddr& a, const RemoveAddr& b) {
  return a.count == b.count &&
         std::equal(a.ids.begin(),
                    a.ids.begin() + std::min<size_t>(a.count, a.ids.size()),
                    b.ids.begin());
}

bool operator==(const MpExperimental& a, const MpExperimental& b) {
  return a.nibble == b.nibble && std::equal(a.payload.begin(), a.payload.end(),
                                            b.payload.begin(), b.payload.end());
}

MptcpSubtype SubtypeOf(const MptcpOption& option) {
  struct Visitor {
    MptcpSubtype operator()(const MpCapable&) {
      return MptcpSubtype::kMpCapable;
    }
    MptcpSubtype operator()(const MpJoinSyn&) { return MptcpSubtype::kMpJoin; }
    MptcpSubtype operator()(const MpJoinSynAck&) {
      return MptcpSubtype::kMpJoin;
    }
    MptcpSubtype operator()(const MpJoinAck&) { return MptcpSubtype::kMpJoin; }
    MptcpSubtype operator()(const Dss&) { return MptcpSubtype::kDss; }
    MptcpSubtype operator()(const AddAddr&) { return MptcpSubtype::kAddAddr; }
    MptcpSubtype operator()(const RemoveAddr&) {
      return MptcpSubtype::kRemoveAddr;
    }
    MptcpSubtype operator()(const MpPrio&) { return MptcpSubtype::kMpPrio; }
    MptcpSubtype operator()(const MpFail&) { return MptcpSubtype::kMpFail; }
    MptcpSubtype operator()(const MpFastclose&) {
      return MptcpSubtype::kMpFastclose;
    }
    MptcpSubtype operator()(const MpTcpRst&) { return MptcpSubtype::kMpTcpRst; }
    MptcpSubtype operator()(const MpExperimental&) {
      return MptcpSubtype::kMpExperimental;
    }
  };
  return std::visit(Visitor{}, option);
}

absl::StatusOr<MptcpOption> ParseMptcpOption(absl::Span<const uint8_t> option) {
  ByteReader r(option);
  uint8_t kind, length, subtype_byte;
  if (!r.ReadU8(&kind) || !r.ReadU8(&length)) {
    return InvalidArgumentError(StrFormat(
        "MPTCP option: %u bytes cannot hold kind and length", option.size()));
  }
  if (kind != kMptcpOptionKind) {
    return InvalidArgumentError(
        StrFormat("MPTCP option: kind %u is not 30", kind));
  }
  if (length != option.size()) {
    return InvalidArgumentError(
        StrFormat("MPTCP option: length byte %u disagrees with the %u bytes "
                  "given",
                  length, option.size()));
  }
  if (!r.ReadU8(&subtype_byte)) {
    return InvalidArgumentError(
        StrFormat("MPTCP option: length %u leaves no subtype byte", length));
  }
  const uint8_t nibble = subtype_byte & 0x0f;
  switch (subtype_byte >> 4) {
    case 0x0:
      return ParseMpCapable(r, nibble, length);
    case 0x1:
      return ParseMpJoin(r, nibble, length);
    case 0x2:
      return ParseDss(r, length);
    case 0x3:
      return ParseAddAddr(r, nibble, length);
    case 0x4:
      return ParseRemoveAddr(r, length);
    case 0x5:
      return ParseMpPrio(r, nibble, length);
    case 0x6:
      return ParseMpFail(r, length);
    case 0x7:
      return ParseMpFastclose(r, length);
    case 0x8:
      return ParseMpTcpRst(r, nibble, length);
    case 0xf:
      return ParseMpExperimental(r, nibble, length);
    default:
      return InvalidArgumentError(
          StrFormat("unknown MPTCP subtype 0x%x", subtype_byte >> 4));
  }
}

absl::Status CheckEncodable(const MptcpOption& option) {
  return std::visit([](const auto& o) { return Check(o); }, option);
}

size_t EncodedLength(const MptcpOption& option) {
  if (!CheckEncodable(option).ok()) return 0;
  return std::visit([](const auto& o) { return Length(o); }, option);
}

bool WriteMptcpOption(const MptcpOption& option, ByteWriter& out) {
  const size_t length = EncodedLength(option);
  if (length == 0 || !out.ok() || out.remaining() < length) return false;
  const size_t start = out.written();
  out.WriteU8(kMptcpOptionKind);
  out.WriteU8(static_cast<uint8_t>(length));
  std::visit([&out](const auto& o) { WriteBody(o, out); }, option);
  return out.ok() && out.written() - start == length;
}

std::string Describe(const MptcpOption& option) {
  return std::visit([](const auto& o) { return Desc(o); }, option);
}

}  // namespace plait::wire
