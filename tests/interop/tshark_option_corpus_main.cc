// Writes a corpus of valid IPv4/IPv6 TCP packets, one per option variant that
// Plait serializes, into a pcap (LINKTYPE_RAW), together with the values
// tshark should dissect from each frame. Both come from the same option
// structs: the packet through OptionWriter and BuildTcpPacket, the
// expectations through the Expect* functions below, which map each struct
// field to the tshark field that shows it. tshark_compare.py then runs tshark
// on the pcap and checks every expectation (tshark_options_test.sh).
//
// Usage: tshark_option_corpus OUT.pcap OUT.tsv
//
// The TSV has one line per expected occurrence, in wire order:
//   frame <TAB> variant <TAB> tshark field <TAB> value
// A field listed for a frame must occur in that frame exactly as often as it
// is listed, with those values in that order. Values: unsigned integers in
// decimal, addresses as text, byte strings as lowercase hex without
// separators, and "present" for fields that carry no value (FT_NONE).

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/tcp/packet_builder.h"
#include "dataplane/wire/dss_checksum.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/pcap_file.h"
#include "dataplane/wire/tcp_header.h"
#include "dataplane/wire/tcp_options.h"

namespace plait::interop {
namespace {

using wire::TcpHeader;

constexpr uint8_t kSyn = TcpHeader::kSyn;
constexpr uint8_t kSynAck = TcpHeader::kSyn | TcpHeader::kAck;
constexpr uint8_t kAck = TcpHeader::kAck;
constexpr uint8_t kPshAck = TcpHeader::kPsh | TcpHeader::kAck;
constexpr uint8_t kRstAck = TcpHeader::kRst | TcpHeader::kAck;
constexpr uint8_t kRst = TcpHeader::kRst;

// Fixed values, so the corpus is the same on every run.
constexpr uint64_t kKeyA = 0x0102030405060708;
constexpr uint64_t kKeyB = 0xfedcba9876543210;
constexpr uint32_t kIsn = 0x10000000;  // subflow ISN of every client
constexpr uint16_t kServerPort = 8080;
constexpr uint32_t kServerIsn = 0x20000000;  // and of every server

using Expectations = std::vector<std::pair<std::string, std::string>>;

std::string Dec(uint64_t v) { return absl::StrCat(v); }

std::string Hex(absl::Span<const uint8_t> bytes) {
  std::string s;
  for (uint8_t b : bytes) absl::StrAppendFormat(&s, "%02x", b);
  return s;
}

// The prefix of tshark's fields for MPTCP option contents.
constexpr char kMp[] = "tcp.options.mptcp.";

void Add(Expectations& e, absl::string_view mptcp_field, uint64_t value) {
  e.emplace_back(absl::StrCat(kMp, mptcp_field), Dec(value));
}
void Add(Expectations& e, absl::string_view mptcp_field,
         const std::string& value) {
  e.emplace_back(absl::StrCat(kMp, mptcp_field), value);
}

// ---------------------------------------------------------------------------
// Struct -> tshark fields, one function per option struct.

void ExpectMptcp(const wire::MpCapable& o, Expectations& e) {
  Add(e, "subtype", 0);
  Add(e, "version", o.version);
  Add(e, "flags", o.flags);
  Add(e, "checksumreq.flags", (o.flags & wire::kMpcFlagA) ? 1 : 0);
  Add(e, "extensibility.flag", (o.flags & wire::kMpcFlagB) ? 1 : 0);
  Add(e, "nomoresubflows.flag", (o.flags & wire::kMpcFlagC) ? 1 : 0);
  Add(e, "sha256.flag", (o.flags & wire::kMpcFlagH) ? 1 : 0);
  Add(e, "reserved.flag", (o.flags & 0x1e) >> 1);  // D-G
  if (o.sender_key) Add(e, "sendkey", *o.sender_key);
  if (o.receiver_key) Add(e, "recvkey", *o.receiver_key);
  if (o.data_level_length) Add(e, "datalvllen", *o.data_level_length);
  if (o.checksum) Add(e, "checksum", *o.checksum);
}

void ExpectMptcp(const wire::MpJoinSyn& o, Expectations& e) {
  Add(e, "subtype", 1);
  Add(e, "backup.flag", o.backup ? 1 : 0);
  Add(e, "addrid", o.address_id);
  Add(e, "recvtok", o.token);
  Add(e, "sendrand", o.nonce);
}

void ExpectMptcp(const wire::MpJoinSynAck& o, Expectations& e) {
  Add(e, "subtype", 1);
  Add(e, "backup.flag", o.backup ? 1 : 0);
  Add(e, "addrid", o.address_id);
  Add(e, "sendtrunchmac", o.truncated_hmac);
  Add(e, "sendrand", o.nonce);
}

void ExpectMptcp(const wire::MpJoinAck& o, Expectations& e) {
  Add(e, "subtype", 1);
  Add(e, "sendhmac", Hex(o.hmac));
}

void ExpectMptcp(const wire::Dss& o, Expectations& e) {
  const uint8_t f = o.flags();
  Add(e, "subtype", 2);
  Add(e, "flags", f);
  Add(e, "datafin.flag", (f & wire::kDssFlagDataFin) ? 1 : 0);
  Add(e, "dseqn8.flag", (f & wire::kDssFlagDsn64) ? 1 : 0);
  Add(e, "dseqnpresent.flag", (f & wire::kDssFlagMapping) ? 1 : 0);
  Add(e, "dataack8.flag", (f & wire::kDssFlagAck64) ? 1 : 0);
  Add(e, "dataackpresent.flag", (f & wire::kDssFlagAck) ? 1 : 0);
  if (o.data_ack) Add(e, "rawdataack", *o.data_ack);
  if (o.mapping) {
    Add(e, "rawdataseqno", o.mapping->dsn);
    Add(e, "subflowseqno", o.mapping->subflow_seq);
    Add(e, "datalvllen", o.mapping->data_level_length);
    if (o.mapping->checksum) Add(e, "checksum", *o.mapping->checksum);
  }
}

void ExpectMptcp(const wire::AddAddr& o, Expectations& e) {
  Add(e, "subtype", 3);
  Add(e, "echo", o.echo ? 1 : 0);
  Add(e, "addrid", o.address_id);
  Add(e, o.address.is_v4() ? "ipv4" : "ipv6", o.address.ToString());
  if (o.port) Add(e, "port", *o.port);
  if (o.truncated_hmac) Add(e, "addaddrtrunchmac", *o.truncated_hmac);
}

void ExpectMptcp(const wire::RemoveAddr& o, Expectations& e) {
  Add(e, "subtype", 4);
  e.emplace_back("mptcp.rm_addr.count", Dec(o.count));
  for (uint8_t id : o.id_span()) Add(e, "addrid", id);
}

void ExpectMptcp(const wire::MpPrio& o, Expectations& e) {
  Add(e, "subtype", 5);
  // tshark's MP_PRIO "flags" item is the whole third byte: subtype and B.
  Add(e, "flags", (uint8_t{0x5} << 4) | (o.backup ? 1 : 0));
  Add(e, "backup.flag", o.backup ? 1 : 0);
  if (o.address_id) Add(e, "addrid", *o.address_id);
}

void ExpectMptcp(const wire::MpFail& o, Expectations& e) {
  Add(e, "subtype", 6);
  Add(e, "rawdataseqno", o.dsn);
}

void ExpectMptcp(const wire::MpFastclose& o, Expectations& e) {
  Add(e, "subtype", 7);
  Add(e, "recvkey", o.receiver_key);
}

void ExpectMptcp(const wire::MpTcpRst& o, Expectations& e) {
  Add(e, "subtype", 8);
  // As for MP_PRIO, tshark's "flags" item is the third byte: subtype, U V W T.
  Add(e, "flags", (uint8_t{0x8} << 4) | (o.transient ? 1 : 0));
  Add(e, "flag_U.flag", 0);
  Add(e, "flag_V.flag", 0);
  Add(e, "flag_W.flag", 0);
  Add(e, "flag_T.flag", o.transient ? 1 : 0);
  Add(e, "rst_reason", o.reason);
}

void ExpectMptcp(const wire::MpExperimental& o, Expectations& e) {
  Add(e, "subtype", 0xf);
}

void ExpectTcp(const wire::MssOption& o, Expectations& e) {
  e.emplace_back("tcp.options.mss_val", Dec(o.mss));
}
void ExpectTcp(const wire::WindowScaleOption& o, Expectations& e) {
  e.emplace_back("tcp.options.wscale.shift", Dec(o.shift));
}
void ExpectTcp(const wire::SackPermittedOption&, Expectations& e) {
  e.emplace_back("tcp.options.sack_perm", "present");
}
void ExpectTcp(const wire::SackOption& o, Expectations& e) {
  e.emplace_back("tcp.options.sack.count", Dec(o.count));
  for (int i = 0; i < o.count; ++i) {
    e.emplace_back("tcp.options.sack_le", Dec(o.blocks[i].left));
    e.emplace_back("tcp.options.sack_re", Dec(o.blocks[i].right));
  }
}
void ExpectTcp(const wire::TimestampsOption& o, Expectations& e) {
  e.emplace_back("tcp.options.timestamp.tsval", Dec(o.tsval));
  e.emplace_back("tcp.options.timestamp.tsecr", Dec(o.tsecr));
}
void ExpectTcp(const wire::FastOpenOption& o, Expectations& e) {
  if (o.cookie.empty()) {
    e.emplace_back("tcp.options.tfo.request", "present");
  } else {
    e.emplace_back("tcp.options.tfo.cookie", Hex(o.cookie));
  }
}
void ExpectTcp(const wire::RawOption&, Expectations&) {}

// ---------------------------------------------------------------------------

struct Frame {
  std::string variant;
  bool v6 = false;
  // Frames with the same nonzero `connection` share a TCP connection (port
  // pair): the frames of one handshake, so that tshark's MPTCP analysis sees
  // the keys of the SYN/ACK echoed in the ACK, and the DSS frames after it,
  // so that tshark knows whether checksums were negotiated (it shows a DSS
  // checksum only then). 0: a connection of its own.
  int connection = 0;
  bool from_server = false;  // sent by the server (SYN/ACK)
  uint8_t flags = kAck;
  uint32_t seq = kIsn + 1;
  uint32_t ack = kServerIsn + 1;
  std::vector<wire::OptionWriter::Option> options;
  std::vector<uint8_t> payload;
};

std::vector<uint8_t> Payload(size_t n, uint8_t seed) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(seed + i * 7);
  return p;
}

// TCP options a Linux SYN carries: MSS, SACK-permitted, timestamps, window
// scale.
void AddSynOptions(Frame& f) {
  f.options.push_back(wire::TcpOption(wire::MssOption{1460}));
  f.options.push_back(wire::TcpOption(wire::SackPermittedOption{}));
  f.options.push_back(wire::TcpOption(wire::TimestampsOption{1000, 0}));
  f.options.push_back(wire::TcpOption(wire::WindowScaleOption{7}));
}
void AddTimestamps(Frame& f) {
  f.options.push_back(wire::TcpOption(wire::TimestampsOption{2000, 1500}));
}

Frame MakeFrame(std::string variant, uint8_t flags, bool v6 = false) {
  Frame f;
  f.variant = std::move(variant);
  f.flags = flags;
  f.v6 = v6;
  if (flags == kSyn) {
    f.seq = kIsn;
    f.ack = 0;
  } else if (flags == kSynAck) {
    f.from_server = true;
    f.seq = kServerIsn;
    f.ack = kIsn + 1;
  } else if (flags == kRst) {
    f.ack = 0;
  }
  return f;
}

// The shared connections: one per MP_CAPABLE handshake (with/without the
// checksum flag A, IPv4/IPv6; C is set on the IPv6 ones), then the joins.
int MpcConnection(bool checksum, bool v6) {
  return 1 + (checksum ? 1 : 0) + (v6 ? 2 : 0);
}
constexpr int kJoinConnection = 5;

// Data covered by a DSS mapping: payload of the mapping's length (less the
// DATA_FIN byte), the subflow sequence number placed at ISN + SSN, and the
// checksum computed when the mapping carries one.
Frame DssFrame(std::string variant, wire::Dss dss, bool v6 = false,
               bool with_timestamps = true) {
  Frame f = MakeFrame(std::move(variant), kAck, v6);
  f.connection =
      MpcConnection(dss.mapping && dss.mapping->checksum.has_value(), v6);
  if (dss.mapping && dss.mapping->data_level_length > 0) {
    const size_t data = dss.mapping->data_level_length - (dss.data_fin ? 1 : 0);
    f.payload = Payload(data, static_cast<uint8_t>(dss.mapping->dsn));
    if (data > 0) f.flags = kPshAck;
    if (dss.mapping->subflow_seq != 0) f.seq = kIsn + dss.mapping->subflow_seq;
    if (dss.mapping->checksum) {
      dss.mapping->checksum =
          wire::DssChecksum(dss.mapping->dsn, dss.mapping->subflow_seq,
                            dss.mapping->data_level_length, f.payload);
    }
  }
  if (with_timestamps) AddTimestamps(f);
  f.options.push_back(wire::MptcpOption(dss));
  return f;
}

wire::Dss MakeDss(std::optional<uint64_t> ack, bool ack64,
                  std::optional<wire::DssMapping> mapping, bool fin = false) {
  wire::Dss d;
  d.data_ack = ack;
  d.data_ack_64 = ack64;
  d.mapping = mapping;
  d.data_fin = fin;
  return d;
}

wire::DssMapping Mapping(uint64_t dsn, bool dsn64, uint32_t ssn, uint16_t len,
                         bool checksum) {
  wire::DssMapping m;
  m.dsn = dsn;
  m.dsn_64 = dsn64;
  m.subflow_seq = ssn;
  m.data_level_length = len;
  if (checksum) m.checksum = 0;  // filled in by DssFrame
  return m;
}

// A pure ACK with timestamps and a 64-bit DSS Data ACK, as Linux sends next to
// signalling options, followed by `option`.
Frame SignalFrame(std::string variant, wire::MptcpOption option,
                  bool v6 = false, bool with_dss = true) {
  Frame f = MakeFrame(std::move(variant), kAck, v6);
  if (with_dss) {
    f.options.push_back(
        wire::MptcpOption(MakeDss(0x1122334455667788, true, std::nullopt)));
  }
  f.options.push_back(std::move(option));
  return f;
}

const std::array<uint8_t, 8> kTfoCookie = {0xde, 0xad, 0xbe, 0xef,
                                           0x01, 0x23, 0x45, 0x67};
const std::array<uint8_t, 5> kExperimentalPayload = {0xca, 0xfe, 0x00, 0x42,
                                                     0x99};

std::vector<Frame> Corpus() {
  std::vector<Frame> frames;
  using wire::MpCapable;
  using wire::MptcpOption;
  using wire::TcpOption;

  // MP_CAPABLE.
  for (uint8_t flags : {wire::kMpcFlagH,
                        static_cast<uint8_t>(wire::kMpcFlagA | wire::kMpcFlagH),
                        static_cast<uint8_t>(wire::kMpcFlagC | wire::kMpcFlagH),
                        static_cast<uint8_t>(wire::kMpcFlagA | wire::kMpcFlagC |
                                             wire::kMpcFlagH)}) {
    const std::string suffix = absl::StrFormat("_flags%02x", flags);
    const bool v6 = (flags & wire::kMpcFlagC) != 0;
    const int connection = MpcConnection((flags & wire::kMpcFlagA) != 0, v6);
    {
      Frame f = MakeFrame("mpc_syn" + suffix, kSyn, v6);
      f.connection = connection;
      AddSynOptions(f);
      f.options.push_back(MptcpOption(MpCapable::Syn(flags)));
      frames.push_back(std::move(f));
    }
    {
      Frame f = MakeFrame("mpc_synack" + suffix, kSynAck, v6);
      f.connection = connection;
      AddSynOptions(f);
      f.options.push_back(MptcpOption(MpCapable::SynAck(flags, kKeyB)));
      frames.push_back(std::move(f));
    }
    {
      Frame f = MakeFrame("mpc_ack" + suffix, kAck, v6);
      f.connection = connection;
      AddTimestamps(f);
      f.options.push_back(MptcpOption(MpCapable::Ack(flags, kKeyA, kKeyB)));
      frames.push_back(std::move(f));
    }
    {
      // ACK + data: mapping DSN = IDSN(sender) + 1, SSN = 1.
      Frame f = MakeFrame("mpc_ack_data" + suffix, kPshAck, v6);
      f.connection = connection;
      f.payload = Payload(100, flags);
      std::optional<uint16_t> csum;
      if (flags & wire::kMpcFlagA) {
        csum = wire::DssChecksum(crypto::IdsnFromKey(kKeyA) + 1, 1,
                                 f.payload.size(), f.payload);
      }
      AddTimestamps(f);
      f.options.push_back(MptcpOption(
          MpCapable::AckWithData(flags, kKeyA, kKeyB, f.payload.size(), csum)));
      frames.push_back(std::move(f));
    }
  }

  // MP_JOIN.
  for (bool backup : {false, true}) {
    const std::string b = backup ? "_backup" : "_nobackup";
    const int connection = kJoinConnection + backup;
    {
      Frame f = MakeFrame("join_syn" + b, kSyn, backup);
      f.connection = connection;
      AddSynOptions(f);
      f.options.push_back(MptcpOption(
          wire::MpJoinSyn{backup, static_cast<uint8_t>(backup ? 5 : 0),
                          crypto::TokenFromKey(kKeyB), 0xa1b2c3d4}));
      frames.push_back(std::move(f));
    }
    {
      Frame f = MakeFrame("join_synack" + b, kSynAck, backup);
      f.connection = connection;
      AddSynOptions(f);
      f.options.push_back(MptcpOption(
          wire::MpJoinSynAck{backup, static_cast<uint8_t>(backup ? 9 : 1),
                             0x8877665544332211, 0x0badf00d}));
      frames.push_back(std::move(f));
    }
    {
      Frame f = MakeFrame("join_ack" + b, kAck, backup);
      f.connection = connection;
      AddTimestamps(f);
      wire::MpJoinAck ack;
      for (size_t i = 0; i < ack.hmac.size(); ++i) {
        ack.hmac[i] = static_cast<uint8_t>(0xa0 + i + backup);
      }
      f.options.push_back(MptcpOption(ack));
      frames.push_back(std::move(f));
    }
  }

  // DSS: Data ACK 4/8 bytes, mapping with 4/8-byte DSN, DATA_FIN, checksum.
  constexpr uint64_t kDsn64 = 0x8000000100000abc;
  constexpr uint64_t kAck64 = 0x7fffffff00001234;
  frames.push_back(
      DssFrame("dss_ack32", MakeDss(0x89abcdef, false, std::nullopt)));
  frames.push_back(
      DssFrame("dss_ack64", MakeDss(kAck64, true, std::nullopt), true));
  frames.push_back(DssFrame(
      "dss_map32",
      MakeDss(std::nullopt, false, Mapping(0xdeadbeef, false, 1, 200, false))));
  frames.push_back(DssFrame(
      "dss_map64",
      MakeDss(std::nullopt, false, Mapping(kDsn64, true, 1, 200, false))));
  frames.push_back(DssFrame(
      "dss_map32_csum",
      MakeDss(std::nullopt, false, Mapping(0x12345678, false, 301, 64, true))));
  frames.push_back(DssFrame(
      "dss_map64_csum",
      MakeDss(std::nullopt, false, Mapping(kDsn64, true, 301, 64, true)),
      true));
  frames.push_back(
      DssFrame("dss_ack32_map32",
               MakeDss(0x01020304, false,
                       Mapping(0x0a0b0c0d, false, 1001, 120, false))));
  frames.push_back(DssFrame(
      "dss_ack32_map64",
      MakeDss(0x01020304, false, Mapping(kDsn64, true, 1001, 120, false))));
  frames.push_back(DssFrame(
      "dss_ack64_map32_csum",
      MakeDss(kAck64, true, Mapping(0xfffffff0, false, 1001, 120, true))));
  frames.push_back(
      DssFrame("dss_ack64_map64",
               MakeDss(kAck64, true, Mapping(kDsn64, true, 1001, 120, false))));
  // The largest DSS: 8-byte ACK, 8-byte DSN, checksum = 28 bytes; no room for
  // timestamps to spare, so it goes alone.
  frames.push_back(
      DssFrame("dss_ack64_map64_csum",
               MakeDss(kAck64, true, Mapping(kDsn64, true, 1001, 120, true)),
               false, false));
  // DATA_FIN on the last data byte (length counts the DATA_FIN).
  frames.push_back(DssFrame(
      "dss_ack64_map64_datafin_with_data",
      MakeDss(kAck64, true, Mapping(kDsn64, true, 2001, 51, false), true)));
  frames.push_back(DssFrame(
      "dss_ack64_map64_datafin_with_data_csum",
      MakeDss(kAck64, true, Mapping(kDsn64, true, 2001, 51, true), true), false,
      false));
  // DATA_FIN alone: SSN 0, length 1, no payload.
  frames.push_back(DssFrame(
      "dss_ack64_datafin_only",
      MakeDss(kAck64, true, Mapping(kDsn64 + 5000, true, 0, 1, false), true)));
  frames.push_back(DssFrame(
      "dss_ack32_datafin_only_dsn32_csum",
      MakeDss(0x01020304, false, Mapping(0x00c0ffee, false, 0, 1, true), true),
      true));
  // Infinite mapping: length 0, checksum 0 when checksums are in use.
  frames.push_back(DssFrame(
      "dss_infinite_mapping",
      MakeDss(std::nullopt, false, Mapping(kDsn64, true, 4001, 0, false))));
  {
    wire::DssMapping m = Mapping(kDsn64, true, 4001, 0, false);
    m.checksum = 0;
    frames.push_back(
        DssFrame("dss_infinite_mapping_csum0", MakeDss(kAck64, true, m)));
  }

  // ADD_ADDR: IPv4/IPv6 x port x echo/HMAC.
  const wire::IpAddress v4 = *wire::IpAddress::Parse("192.0.2.77");
  const wire::IpAddress v6 = *wire::IpAddress::Parse("2001:db8:1:2::abcd");
  for (bool is_v6 : {false, true}) {
    for (bool port : {false, true}) {
      for (bool echo : {false, true}) {
        wire::AddAddr a;
        a.echo = echo;
        a.address_id = is_v6 ? 12 : 3;
        a.address = is_v6 ? v6 : v4;
        if (port) a.port = 10443;
        if (!echo) a.truncated_hmac = 0x0f1e2d3c4b5a6978;
        // IPv6 with port and HMAC is 30 bytes: no room for the DSS beside it.
        const bool big = is_v6 && !echo;
        frames.push_back(SignalFrame(
            absl::StrCat("add_addr_", is_v6 ? "v6" : "v4",
                         port ? "_port" : "_noport", echo ? "_echo" : "_hmac"),
            MptcpOption(a), is_v6, !big));
      }
    }
  }

  // REMOVE_ADDR.
  frames.push_back(SignalFrame("remove_addr_one",
                               MptcpOption(*wire::RemoveAddr::Of({{7}}))));
  frames.push_back(SignalFrame("remove_addr_three",
                               MptcpOption(*wire::RemoveAddr::Of({{1, 2, 9}})),
                               true));
  frames.push_back(SignalFrame(
      "remove_addr_eight",
      MptcpOption(*wire::RemoveAddr::Of({{1, 2, 3, 4, 5, 6, 7, 255}}))));

  // MP_PRIO.
  frames.push_back(SignalFrame("mp_prio_backup",
                               MptcpOption(wire::MpPrio{true, std::nullopt})));
  frames.push_back(SignalFrame("mp_prio_nobackup",
                               MptcpOption(wire::MpPrio{false, std::nullopt}),
                               true));

  // MP_FAIL: on an ACK beside a DSS (single subflow), and on a RST.
  frames.push_back(SignalFrame("mp_fail_ack",
                               MptcpOption(wire::MpFail{0x0123456789abcdef})));
  {
    Frame f = MakeFrame("mp_fail_rst", kRstAck, true);
    f.options.push_back(MptcpOption(wire::MpFail{0xfedcba9876543210}));
    f.options.push_back(MptcpOption(wire::MpTcpRst{false, 6}));
    frames.push_back(std::move(f));
  }

  // MP_FASTCLOSE: on an ACK (RFC 8684 3.5) and on a RST (Linux).
  frames.push_back(SignalFrame(
      "mp_fastclose_ack", MptcpOption(wire::MpFastclose{kKeyB}), false, false));
  {
    Frame f = MakeFrame("mp_fastclose_rst", kRst, true);
    f.options.push_back(MptcpOption(wire::MpFastclose{kKeyA}));
    frames.push_back(std::move(f));
  }

  // MP_TCPRST: every reason, without and with the transient bit, and one
  // unassigned reason code.
  for (bool transient : {false, true}) {
    for (uint8_t reason = 0; reason <= 7; ++reason) {
      Frame f = MakeFrame(absl::StrCat("mp_tcprst_reason", reason,
                                       transient ? "_transient" : ""),
                          kRstAck, reason % 2 == 1);
      f.options.push_back(MptcpOption(wire::MpTcpRst{transient, reason}));
      frames.push_back(std::move(f));
    }
  }

  // MP_EXPERIMENTAL.
  frames.push_back(SignalFrame(
      "mp_experimental",
      MptcpOption(wire::MpExperimental{0x3, kExperimentalPayload})));
  frames.push_back(SignalFrame("mp_experimental_empty",
                               MptcpOption(wire::MpExperimental{0xa, {}}),
                               true));

  // Plain TCP options.
  {
    Frame f = MakeFrame("tcp_syn_tfo_request", kSyn);
    AddSynOptions(f);
    f.options.push_back(TcpOption(wire::FastOpenOption{}));
    frames.push_back(std::move(f));
  }
  {
    Frame f = MakeFrame("tcp_syn_tfo_cookie_mpc", kSyn, true);
    f.options.push_back(TcpOption(wire::MssOption{1220}));
    f.options.push_back(TcpOption(wire::SackPermittedOption{}));
    f.options.push_back(TcpOption(wire::WindowScaleOption{14}));
    f.options.push_back(TcpOption(wire::FastOpenOption{kTfoCookie}));
    f.options.push_back(MptcpOption(MpCapable::Syn(wire::kMpcFlagH)));
    f.payload = Payload(20, 0x55);
    frames.push_back(std::move(f));
  }
  {
    Frame f = MakeFrame("tcp_syn_mss_ws0", kSyn);
    f.options.push_back(TcpOption(wire::MssOption{536}));
    f.options.push_back(TcpOption(wire::WindowScaleOption{0}));
    frames.push_back(std::move(f));
  }
  for (uint8_t count = 1; count <= 4; ++count) {
    // Blocks above the cumulative ACK (f.ack), so none is a D-SACK.
    Frame f = MakeFrame(absl::StrCat("tcp_sack_", count), kAck, count % 2 == 0);
    wire::SackOption sack;
    sack.count = count;
    for (uint8_t i = 0; i < count; ++i) {
      sack.blocks[i] = {f.ack + 1000u * (i + 1), f.ack + 1000u * (i + 1) + 500};
    }
    if (count <= 3) AddTimestamps(f);
    f.options.push_back(TcpOption(sack));
    if (count <= 2) {
      f.options.push_back(MptcpOption(MakeDss(0x99, false, std::nullopt)));
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

// Walks the laid-out option bytes: the kinds tshark must see, and the length
// byte of every option but NOP and EOL.
void ExpectLayout(absl::Span<const uint8_t> bytes, Expectations& e) {
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t kind = bytes[i];
    e.emplace_back("tcp.option_kind", Dec(kind));
    if (kind == wire::kTcpOptionNop || kind == wire::kTcpOptionEol) {
      ++i;
      continue;
    }
    e.emplace_back("tcp.option_len", Dec(bytes[i + 1]));
    i += bytes[i + 1];
  }
}

absl::Status Run(const std::string& pcap_path, const std::string& tsv_path) {
  const std::vector<Frame> frames = Corpus();
  const wire::IpAddress src4 = *wire::IpAddress::Parse("10.0.1.1");
  const wire::IpAddress dst4 = *wire::IpAddress::Parse("10.0.2.2");
  const wire::IpAddress src6 = *wire::IpAddress::Parse("fd00:1::1");
  const wire::IpAddress dst6 = *wire::IpAddress::Parse("fd00:2::2");

  wire::PcapWriter pcap;
  std::string tsv;
  int number = 0;
  // Ports: 40000 + connection for the shared ones, 40100 + frame otherwise.
  std::map<int, bool> connection_v6;
  for (const Frame& frame : frames) {
    ++number;
    const int connection =
        frame.connection != 0 ? frame.connection : 100 + number;
    if (!connection_v6.emplace(connection, frame.v6).first->second !=
        !frame.v6) {
      return absl::InternalError(absl::StrCat(
          frame.variant, ": address family differs within connection ",
          connection));
    }
    wire::OptionWriter writer;
    for (const auto& option : frame.options) {
      std::visit([&](const auto& o) { writer.Add(o); }, option);
    }
    absl::StatusOr<wire::OptionLayout> layout = writer.Finish();
    if (!layout.ok()) {
      return absl::InternalError(
          absl::StrCat(frame.variant, ": ", layout.status().message()));
    }
    if (layout->omitted_count != 0) {
      return absl::InternalError(
          absl::StrCat(frame.variant, ": ", layout->omitted_count,
                       " option(s) did not fit the 40-byte option space"));
    }

    tcp::TcpPacketSpec spec;
    spec.src = frame.v6 ? src6 : src4;
    spec.dst = frame.v6 ? dst6 : dst4;
    spec.src_port = static_cast<uint16_t>(40000 + connection);
    spec.dst_port = kServerPort;
    if (frame.from_server) {
      std::swap(spec.src, spec.dst);
      std::swap(spec.src_port, spec.dst_port);
    }
    spec.seq = frame.seq;
    spec.ack = frame.ack;
    spec.flags = frame.flags;
    spec.window = 502;
    spec.options = layout->option_bytes();
    std::vector<uint8_t> packet(1600);
    absl::StatusOr<size_t> length = tcp::BuildTcpPacket(
        spec, frame.payload.size(),
        [&](uint8_t* d) {
          std::copy(frame.payload.begin(), frame.payload.end(), d);
        },
        absl::MakeSpan(packet));
    if (!length.ok()) {
      return absl::InternalError(
          absl::StrCat(frame.variant, ": ", length.status().message()));
    }
    pcap.Add(uint64_t{1'000'000'000} + number * uint64_t{1'000'000},
             absl::MakeConstSpan(packet.data(), *length));

    // Expectations: IP and TCP header, the option layout, every option.
    Expectations e;
    const std::string ip = frame.v6 ? "ipv6" : "ip";
    e.emplace_back(ip + ".src", spec.src.ToString());
    e.emplace_back(ip + ".dst", spec.dst.ToString());
    if (!frame.v6) e.emplace_back("ip.checksum.status", "good");
    e.emplace_back("tcp.srcport", Dec(spec.src_port));
    e.emplace_back("tcp.dstport", Dec(spec.dst_port));
    e.emplace_back("tcp.seq_raw", Dec(spec.seq));
    if (spec.flags & TcpHeader::kAck) {
      e.emplace_back("tcp.ack_raw", Dec(spec.ack));
    }
    e.emplace_back("tcp.flags", Dec(spec.flags));
    e.emplace_back("tcp.hdr_len", Dec(20 + layout->length));
    e.emplace_back("tcp.len", Dec(frame.payload.size()));
    e.emplace_back("tcp.window_size_value", Dec(spec.window));
    e.emplace_back("tcp.checksum.status", "good");
    if (!frame.payload.empty()) {
      e.emplace_back("tcp.payload", Hex(frame.payload));
    }
    ExpectLayout(layout->option_bytes(), e);
    // Options in the order the writer laid them out: TCP options first in
    // Linux's order, then MPTCP options in priority order. Per-field order
    // only matters among options of one kind, so expect TCP options in the
    // order they were added and MPTCP options in the layout's order.
    std::vector<absl::Span<const uint8_t>> mptcp_in_layout;
    {
      absl::StatusOr<wire::TcpOptions> parsed =
          wire::ParseTcpOptions(layout->option_bytes());
      if (!parsed.ok()) return parsed.status();
      for (auto raw : parsed->mptcp_options()) mptcp_in_layout.push_back(raw);
    }
    for (const auto& option : frame.options) {
      if (const auto* t = std::get_if<wire::TcpOption>(&option)) {
        std::visit([&](const auto& o) { ExpectTcp(o, e); }, *t);
      }
    }
    int mptcp_count = 0;
    for (const auto& option : frame.options) {
      mptcp_count += std::holds_alternative<wire::MptcpOption>(option);
    }
    if (mptcp_count != static_cast<int>(mptcp_in_layout.size())) {
      return absl::InternalError(
          absl::StrCat(frame.variant, ": MPTCP option count mismatch"));
    }
    for (auto raw : mptcp_in_layout) {
      // Map the laid-out bytes back to the struct that produced them (by
      // encoding each struct and comparing), so that expectations follow the
      // structs and the order follows the wire.
      bool found = false;
      for (const auto& option : frame.options) {
        const auto* m = std::get_if<wire::MptcpOption>(&option);
        if (m == nullptr) continue;
        std::array<uint8_t, wire::kMaxMptcpOptionLength> buf{};
        wire::ByteWriter w(absl::MakeSpan(buf));
        if (!wire::WriteMptcpOption(*m, w)) continue;
        if (absl::MakeConstSpan(buf.data(), w.written()) == raw) {
          std::visit([&](const auto& o) { ExpectMptcp(o, e); }, *m);
          found = true;
          break;
        }
      }
      if (!found) {
        return absl::InternalError(
            absl::StrCat(frame.variant, ": laid-out MPTCP option not found"));
      }
    }
    for (const auto& [field, value] : e) {
      absl::StrAppend(&tsv, number, "\t", frame.variant, "\t", field, "\t",
                      value, "\n");
    }
  }

  std::ofstream pcap_out(pcap_path, std::ios::binary);
  pcap_out << pcap.bytes();
  std::ofstream tsv_out(tsv_path);
  tsv_out << tsv;
  if (!pcap_out.good() || !tsv_out.good()) {
    return absl::InternalError("cannot write the output files");
  }
  std::cerr << "wrote " << frames.size() << " frames to " << pcap_path << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace plait::interop

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " OUT.pcap OUT.tsv\n";
    return 2;
  }
  absl::Status status = plait::interop::Run(argv[1], argv[2]);
  if (!status.ok()) {
    std::cerr << "tshark_option_corpus: " << status << "\n";
    return 1;
  }
  return 0;
}
