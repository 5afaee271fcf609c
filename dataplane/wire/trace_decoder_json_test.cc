// The JSON mode of TraceDecoder (plait-wire decode): the fields it reports on
// the real kernel captures in testdata/, the MPTCP connection tracking (join
// tokens, MP_JOIN and ADD_ADDR HMAC verdicts, DSS checksum verdicts), and the
// form of its output lines.
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/pcap_file.h"
#include "dataplane/wire/test_util.h"
#include "dataplane/wire/trace_decoder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace plait::wire {
namespace {

using ::nlohmann::ordered_json;

std::vector<std::vector<uint8_t>> Packets(const std::string& name) {
  return testing_util::CapturePackets(name);
}

struct Decoded {
  std::vector<ordered_json> segments;
  ordered_json summary;
};

Decoded DecodeAll(const std::vector<std::vector<uint8_t>>& packets) {
  TraceDecoder decoder;
  Decoded out;
  for (size_t i = 0; i < packets.size(); ++i) {
    out.segments.push_back(decoder.DecodeJson(packets[i], 1000 * i, i + 1));
  }
  out.summary = decoder.SummaryJson().at("summary");
  return out;
}

// The value of a hex string field.
uint64_t HexValue(const ordered_json& value) {
  uint64_t v = 0;
  EXPECT_TRUE(value.is_string() &&
              absl::SimpleHexAtoi(value.get<std::string>(), &v))
      << value.dump();
  return v;
}

// The value of an integer field (a test failure for any other type).
int64_t Int(const ordered_json& value) {
  EXPECT_TRUE(value.is_number_integer()) << value.dump();
  return value.is_number() ? value.get<int64_t>() : 0;
}

// The value of a time field, a floating-point number of seconds.
double Seconds(const ordered_json& value) {
  EXPECT_TRUE(value.is_number_float()) << value.dump();
  return value.is_number() ? value.get<double>() : -1;
}

// The elements of an array field (a test failure, and none, for any other
// type).
const ordered_json& Items(const ordered_json& value) {
  static const ordered_json* const kEmpty =
      new ordered_json(ordered_json::array());
  EXPECT_TRUE(value.is_array()) << value.dump();
  return value.is_array() ? value : *kEmpty;
}

// An optional array field: its elements, or none if absent.
const ordered_json& ItemsIfAny(const ordered_json& object,
                               const std::string& key) {
  static const ordered_json* const kEmpty =
      new ordered_json(ordered_json::array());
  return object.contains(key) ? Items(object.at(key)) : *kEmpty;
}

// The text of a string field (a test failure for any other type).
std::string Str(const ordered_json& value) {
  EXPECT_TRUE(value.is_string()) << value.dump();
  return value.is_string() ? value.get<std::string>() : "";
}

// Every MPTCP option object of the given subtype (and variant, if not
// empty), across all segments.
std::vector<ordered_json> Options(const Decoded& decoded,
                                  const std::string& subtype,
                                  const std::string& variant = "") {
  std::vector<ordered_json> found;
  for (const ordered_json& segment : decoded.segments) {
    for (const ordered_json& option : Items(segment.at("mptcp"))) {
      if (option.at("subtype") != subtype) continue;
      if (!variant.empty() && option.value("variant", "") != variant) continue;
      found.push_back(option);
    }
  }
  return found;
}

// Flips one bit of the byte `offset_in_option` bytes into the first MPTCP
// option of `subtype` in `packet` (offset from the option's end if negative),
// and fixes the TCP checksum so that only that field is wrong.
void FlipOptionBit(std::vector<uint8_t>& packet, int offset_in_option) {
  auto segment = ParseSegment(packet);
  ASSERT_TRUE(segment.ok());
  ASSERT_GT(segment->options.mptcp_count, 0);
  const absl::Span<const uint8_t> option = segment->options.mptcp[0];
  const size_t option_offset = option.data() - packet.data();
  const size_t at = offset_in_option >= 0
                        ? option_offset + offset_in_option
                        : option_offset + option.size() + offset_in_option;
  packet[at] ^= 0x01;
  const size_t tcp_offset = segment->ip.payload.data() - packet.data();
  ASSERT_TRUE(FillTcpChecksum(segment->ip.src, segment->ip.dst,
                              absl::MakeSpan(packet).subspan(tcp_offset))
                  .ok());
}

// The index of the first packet whose first MPTCP option has the subtype and
// variant.
size_t FindPacket(const std::vector<std::vector<uint8_t>>& packets,
                  const std::string& subtype, const std::string& variant) {
  const Decoded decoded = DecodeAll(packets);
  for (size_t i = 0; i < decoded.segments.size(); ++i) {
    const ordered_json& items = Items(decoded.segments[i].at("mptcp"));
    if (!items.empty() && items[0].at("subtype") == subtype &&
        (variant.empty() || items[0].value("variant", "") == variant)) {
      return i;
    }
  }
  ADD_FAILURE() << "no " << subtype << " " << variant;
  return 0;
}

// plait-wire decode's lines: compact, members in insertion order, 64-bit
// integers exact, strings escaped per RFC 8259 with UTF-8 passed through and
// bytes that are not UTF-8 replaced.
TEST(JsonLineTest, WritesCompactEscapedJson) {
  ordered_json v = ordered_json::object();
  v["s"] = "a\"b\\c\n\t\x01 \xc3\xa9";
  v["n"] = uint64_t{18446744073709551615u};
  v["neg"] = -5;
  v["b"] = false;
  v["null"] = nullptr;
  v["list"] = ordered_json::array({1, "x", ordered_json::object()});
  v["t"] = 0.000125;
  EXPECT_EQ(JsonLine(v),
            "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001 \xc3\xa9\","
            "\"n\":18446744073709551615,\"neg\":-5,\"b\":false,\"null\":null,"
            "\"list\":[1,\"x\",{}],\"t\":0.000125}");
  v["b"] = true;  // replaced in place
  EXPECT_EQ(v.at("b"), true);
  EXPECT_EQ(std::next(v.begin(), 3).key(), "b");
  EXPECT_FALSE(v.contains("absent"));
  EXPECT_EQ(Int(v.at("neg")), -5);
  EXPECT_EQ(JsonLine("\x7f\x1f"), "\"\x7f\\u001f\"");
  EXPECT_EQ(JsonLine("a\xff"), "\"a\xef\xbf\xbd\"");
}

TEST(TraceDecoderJsonTest, SegmentFields) {
  const Decoded d = DecodeAll(Packets("kernel_mptcp.pcap"));
  const ordered_json& syn = d.segments[0];
  EXPECT_EQ(Int(syn.at("frame")), 1);
  // Times are numbers of seconds (doubles, printed in their shortest form).
  EXPECT_EQ(Seconds(syn.at("time")), 0.0);
  EXPECT_EQ(syn.at("time").dump(), "0.0");
  EXPECT_EQ(Str(syn.at("src")), "10.1.0.1");
  EXPECT_EQ(Str(syn.at("dst")), "10.1.0.2");
  EXPECT_EQ(Int(syn.at("dst_port")), 5201);
  EXPECT_EQ(syn.at("flags").dump(), "[\"SYN\"]");
  EXPECT_EQ(syn.at("tcp_checksum_valid"), true);
  EXPECT_EQ(Int(syn.at("payload_length")), 0);
  EXPECT_EQ(Int(syn.at("seq_relative")), 0);
  EXPECT_TRUE(syn.at("seq").is_number_integer());
  EXPECT_EQ(syn.at("tcp_options").dump(),
            "[{\"kind\":2,\"name\":\"mss\",\"mss\":1460},"
            "{\"kind\":3,\"name\":\"window_scale\",\"shift\":10},"
            "{\"kind\":4,\"name\":\"sack_permitted\"},"
            "{\"kind\":8,\"name\":\"timestamps\",\"tsval\":643820506,"
            "\"tsecr\":0}]");
  const ordered_json& synack = d.segments[1];
  EXPECT_EQ(synack.at("flags").dump(), "[\"SYN\",\"ACK\"]");
  EXPECT_EQ(Seconds(synack.at("time")), 0.000001);
  EXPECT_EQ(synack.at("time").dump(), "1e-06");
  EXPECT_EQ(Int(synack.at("ack")), Int(syn.at("seq")) + 1);
  // Every segment of the capture is decoded and has no problems. Each belongs
  // to the connection, except the MP_CAPABLE SYN: a connection is named by
  // its keys, and the first one comes in the SYN/ACK.
  EXPECT_TRUE(syn.at("connection").is_null()) << syn.dump();
  for (size_t i = 0; i < d.segments.size(); ++i) {
    const ordered_json& segment = d.segments[i];
    EXPECT_FALSE(segment.contains("problems")) << segment.dump();
    EXPECT_FALSE(segment.contains("error")) << segment.dump();
    if (i > 0) {
      EXPECT_EQ(Int(segment.at("connection")), 0) << segment.dump();
    }
  }
}

// Keys, tokens, IDSNs, nonces, HMACs, DSNs and data ACKs are fixed-width hex.
TEST(TraceDecoderJsonTest, HexFieldsHaveFixedWidths) {
  const Decoded d = DecodeAll(Packets("kernel_mptcp.pcap"));
  for (const ordered_json& mpc : Options(d, "MP_CAPABLE")) {
    for (const char* who : {"sender", "receiver"}) {
      const std::string w = who;
      if (!mpc.contains(w + "_key")) continue;
      EXPECT_EQ(Str(mpc.at(w + "_key")).size(), 16u);
      EXPECT_EQ(Str(mpc.at(w + "_token")).size(), 8u);
      EXPECT_EQ(Str(mpc.at(w + "_idsn")).size(), 16u);
      const uint64_t key = HexValue(mpc.at(w + "_key"));
      EXPECT_EQ(HexValue(mpc.at(w + "_token")), crypto::TokenFromKey(key));
      EXPECT_EQ(HexValue(mpc.at(w + "_idsn")), crypto::IdsnFromKey(key));
    }
  }
  for (const ordered_json& join : Options(d, "MP_JOIN", "SYN")) {
    EXPECT_EQ(Str(join.at("token")).size(), 8u);
    EXPECT_EQ(Str(join.at("nonce")).size(), 8u);
  }
  for (const ordered_json& join : Options(d, "MP_JOIN", "SYN/ACK")) {
    EXPECT_EQ(Str(join.at("hmac")).size(), 16u);
    EXPECT_EQ(Str(join.at("nonce")).size(), 8u);
  }
  for (const ordered_json& join : Options(d, "MP_JOIN", "ACK")) {
    EXPECT_EQ(Str(join.at("hmac")).size(), 40u);
  }
  int dss_with_mapping = 0;
  for (const ordered_json& dss : Options(d, "DSS")) {
    if (dss.contains("data_ack")) {
      EXPECT_EQ(Str(dss.at("data_ack")).size(),
                dss.at("data_ack_64") == true ? 16u : 8u);
    }
    if (dss.contains("dsn")) {
      ++dss_with_mapping;
      EXPECT_EQ(Str(dss.at("dsn")).size(), dss.at("dsn_64") == true ? 16u : 8u);
      EXPECT_TRUE(dss.at("subflow_seq").is_number_integer());
      EXPECT_TRUE(dss.at("data_level_length").is_number_integer());
      EXPECT_FALSE(dss.contains("checksum"));  // not negotiated in this capture
    }
  }
  EXPECT_GT(dss_with_mapping, 0);
}

// The tokens of the MP_JOIN SYNs are those of the server's key from the
// MP_CAPABLE exchange, and every HMAC verifies.
TEST(TraceDecoderJsonTest, JoinsBelongToTheConnectionAndHmacsVerify) {
  for (const char* capture :
       {"kernel_mptcp.pcap", "kernel_mptcp_checksum.pcap"}) {
    SCOPED_TRACE(capture);
    const Decoded d = DecodeAll(Packets(capture));
    const std::vector<ordered_json> acks = Options(d, "MP_CAPABLE", "ACK");
    ASSERT_FALSE(acks.empty());
    const uint64_t client_key = HexValue(acks[0].at("sender_key"));
    const uint64_t server_key = HexValue(acks[0].at("receiver_key"));
    ASSERT_EQ(Options(d, "MP_CAPABLE", "SYN/ACK").size(), 1u);
    EXPECT_EQ(HexValue(Options(d, "MP_CAPABLE", "SYN/ACK")[0].at("sender_key")),
              server_key);

    const std::vector<ordered_json> syns = Options(d, "MP_JOIN", "SYN");
    ASSERT_EQ(syns.size(), 2u);
    for (const ordered_json& syn : syns) {
      EXPECT_EQ(syn.at("token_known"), true) << syn.dump();
      EXPECT_EQ(Int(syn.at("connection")), 0);
      EXPECT_EQ(HexValue(syn.at("token")), crypto::TokenFromKey(server_key));
    }
    int hmacs = 0;
    for (const char* variant : {"SYN/ACK", "ACK"}) {
      for (const ordered_json& join : Options(d, "MP_JOIN", variant)) {
        EXPECT_TRUE(join.at("hmac_valid").is_boolean()) << join.dump();
        EXPECT_EQ(join.at("hmac_valid"), true) << join.dump();
        ++hmacs;
      }
    }
    EXPECT_EQ(hmacs, 4);
    int add_addrs = 0;
    for (const ordered_json& add : Options(d, "ADD_ADDR")) {
      EXPECT_EQ(Str(add.at("address")), "10.2.0.2");
      if (add.at("echo") == true) {
        EXPECT_FALSE(add.contains("hmac_valid"));
        continue;
      }
      EXPECT_EQ(Str(add.at("sender")), "server");
      EXPECT_EQ(add.at("hmac_valid"), true) << add.dump();
      ++add_addrs;
    }
    EXPECT_EQ(add_addrs, 1);

    const ordered_json& s = d.summary;
    EXPECT_EQ(Int(s.at("join_tokens").at("known")), 2);
    EXPECT_EQ(Int(s.at("join_tokens").at("unknown")), 0);
    EXPECT_EQ(Int(s.at("hmacs").at("valid")), 5);
    EXPECT_EQ(Int(s.at("hmacs").at("invalid")), 0);
    EXPECT_EQ(Int(s.at("hmacs").at("unknown")), 0);
    EXPECT_EQ(s.at("clean"), true);
    ASSERT_EQ(Items(s.at("connections")).size(), 1u);
    const ordered_json& c = s.at("connections")[0];
    EXPECT_EQ(HexValue(c.at("client_key")), client_key);
    EXPECT_EQ(HexValue(c.at("server_key")), server_key);
    EXPECT_EQ(Items(c.at("subflows")).size(), 3u);
  }
}

TEST(TraceDecoderJsonTest, FlippedHmacBitsAreCaught) {
  const auto original = Packets("kernel_mptcp.pcap");
  struct Case {
    const char* subtype;
    const char* variant;
    int offset;  // of the flipped byte in the option; < 0 from its end
  };
  for (const Case& c : {Case{"MP_JOIN", "SYN/ACK", 4},
                        Case{"MP_JOIN", "ACK", 23}, Case{"ADD_ADDR", "", -1}}) {
    SCOPED_TRACE(absl::StrFormat("%s %s", c.subtype, c.variant));
    auto packets = original;
    const size_t index = FindPacket(packets, c.subtype, c.variant);
    FlipOptionBit(packets[index], c.offset);
    const Decoded d = DecodeAll(packets);
    const ordered_json& option = d.segments[index].at("mptcp")[0];
    EXPECT_EQ(d.segments[index].at("tcp_checksum_valid"), true);
    EXPECT_TRUE(option.at("hmac_valid").is_boolean()) << option.dump();
    EXPECT_EQ(option.at("hmac_valid"), false) << option.dump();
    EXPECT_TRUE(option.contains("hmac_expected"));
    EXPECT_EQ(Int(d.summary.at("hmacs").at("invalid")), 1);
    EXPECT_EQ(Int(d.summary.at("hmacs").at("valid")), 4);
    EXPECT_EQ(d.summary.at("clean"), false);
  }
}

// A join to an unknown token belongs to no connection, and its HMACs cannot
// be verified (null, not false).
TEST(TraceDecoderJsonTest, UnknownTokenLeavesHmacsUnknown) {
  auto packets = Packets("kernel_mptcp.pcap");
  const size_t index = FindPacket(packets, "MP_JOIN", "SYN");
  FlipOptionBit(packets[index], 4);  // the token's first byte
  const Decoded d = DecodeAll(packets);
  const ordered_json& syn = d.segments[index].at("mptcp")[0];
  EXPECT_EQ(syn.at("token_known"), false);
  EXPECT_TRUE(syn.at("token_known").is_boolean());
  EXPECT_TRUE(syn.at("connection").is_null());
  EXPECT_TRUE(d.segments[index].at("connection").is_null());
  const ordered_json& synack = d.segments[index + 1].at("mptcp")[0];
  ASSERT_EQ(Str(synack.at("variant")), "SYN/ACK");
  EXPECT_TRUE(synack.contains("hmac_valid"));
  EXPECT_TRUE(synack.at("hmac_valid").is_null());
  EXPECT_EQ(Int(d.summary.at("join_tokens").at("unknown")), 1);
  EXPECT_EQ(Int(d.summary.at("hmacs").at("unknown")), 2);
  EXPECT_EQ(Int(d.summary.at("hmacs").at("valid")), 3);
}

// Without the MP_CAPABLE exchange the keys are unknown: nothing to verify.
TEST(TraceDecoderJsonTest, CaptureWithoutHandshakeHasNoVerdicts) {
  auto packets = Packets("kernel_mptcp.pcap");
  packets.erase(packets.begin(), packets.begin() + 3);
  const Decoded d = DecodeAll(packets);
  for (const ordered_json& syn : Options(d, "MP_JOIN", "SYN")) {
    EXPECT_EQ(syn.at("token_known"), false);
  }
  EXPECT_EQ(Int(d.summary.at("hmacs").at("valid")), 0);
  EXPECT_EQ(Int(d.summary.at("hmacs").at("invalid")), 0);
  EXPECT_EQ(Int(d.summary.at("hmacs").at("unknown")), 5);
}

// Each checksummed mapping gets one verdict, on the segment that completes
// it; the options carrying the mapping show it from then on.
TEST(TraceDecoderJsonTest, DssChecksumVerdicts) {
  const Decoded d = DecodeAll(Packets("kernel_mptcp_checksum.pcap"));
  int verdicts = 0;
  for (const ordered_json& segment : d.segments) {
    for (const ordered_json& v : ItemsIfAny(segment, "checksum_verdicts")) {
      EXPECT_EQ(v.at("valid"), true) << v.dump();
      EXPECT_EQ(Str(v.at("dsn")).size(), 16u);
      ++verdicts;
      // The segment that completes a mapping carries it (Linux repeats the
      // mapping on every segment it covers).
      bool carried = false;
      for (const ordered_json& option : Items(segment.at("mptcp"))) {
        if (option.value("dsn", "") == Str(v.at("dsn"))) {
          carried = true;
          EXPECT_EQ(option.at("checksum_valid"), true);
          EXPECT_EQ(Str(option.at("checksum_status")), "valid");
        }
      }
      EXPECT_TRUE(carried) << segment.dump();
    }
  }
  EXPECT_EQ(verdicts, 15);
  int with_checksum = 0;
  for (const ordered_json& dss : Options(d, "DSS")) {
    if (!dss.contains("checksum")) {
      EXPECT_FALSE(dss.contains("checksum_valid"));
      continue;
    }
    ++with_checksum;
    EXPECT_EQ(Str(dss.at("checksum")).size(), 4u);
    // Valid, or still collecting the mapping's bytes: never invalid.
    if (!dss.at("checksum_valid").is_null()) {
      EXPECT_EQ(dss.at("checksum_valid"), true) << dss.dump();
    } else {
      EXPECT_EQ(Str(dss.at("checksum_status")), "pending") << dss.dump();
    }
  }
  EXPECT_GE(with_checksum, 17);
  EXPECT_EQ(Int(d.summary.at("checksums").at("valid")), 15);
  EXPECT_EQ(Int(d.summary.at("checksums").at("invalid")), 0);
}

TEST(TraceDecoderJsonTest, RewrittenPayloadFailsItsMappingChecksum) {
  auto packets = Packets("kernel_mptcp_checksum.pcap");
  size_t index = 0;
  for (; index < packets.size(); ++index) {
    auto segment = ParseSegment(packets[index]);
    ASSERT_TRUE(segment.ok());
    if (segment->tcp.payload.size() >= 100) break;
  }
  ASSERT_LT(index, packets.size());
  {
    auto segment = ParseSegment(packets[index]);
    const size_t at = segment->tcp.payload.data() - packets[index].data();
    packets[index][at + 50] ^= 0x20;
    const size_t tcp_offset =
        segment->ip.payload.data() - packets[index].data();
    ASSERT_TRUE(
        FillTcpChecksum(segment->ip.src, segment->ip.dst,
                        absl::MakeSpan(packets[index]).subspan(tcp_offset))
            .ok());
  }
  const Decoded d = DecodeAll(packets);
  int invalid = 0;
  for (const ordered_json& segment : d.segments) {
    for (const ordered_json& v : ItemsIfAny(segment, "checksum_verdicts")) {
      if (v.at("valid") != true) ++invalid;
    }
  }
  EXPECT_EQ(invalid, 1);
  EXPECT_EQ(Int(d.summary.at("checksums").at("invalid")), 1);
  EXPECT_EQ(d.summary.at("clean"), false);
}

// Options the kernel captures lack, built with the option writer.
std::vector<uint8_t> BuildPacket(const std::vector<OptionWriter::Option>& opts,
                                 uint8_t flags) {
  OptionWriter writer;
  for (const auto& option : opts) {
    std::visit([&writer](const auto& o) { writer.Add(o); }, option);
  }
  auto layout = writer.Finish();
  EXPECT_TRUE(layout.ok()) << layout.status();
  const absl::Span<const uint8_t> options =
      layout.ok() ? layout->option_bytes() : absl::Span<const uint8_t>();
  const IpAddress src = IpAddress::V4(0x0a000001);
  const IpAddress dst = IpAddress::V4(0x0a000002);
  std::vector<uint8_t> tcp(20 + options.size());
  ByteWriter tcp_out(absl::MakeSpan(tcp));
  TcpHeaderFields fields;
  fields.src_port = 40000;
  fields.dst_port = 80;
  fields.seq = 7;
  fields.ack = 9;
  fields.flags = flags;
  fields.window = 1000;
  EXPECT_TRUE(WriteTcpHeader(fields, options, tcp_out).ok());
  EXPECT_TRUE(FillTcpChecksum(src, dst, absl::MakeSpan(tcp)).ok());
  std::vector<uint8_t> packet(20 + tcp.size());
  ByteWriter out(absl::MakeSpan(packet));
  Ipv4HeaderFields ip;
  ip.src = src;
  ip.dst = dst;
  EXPECT_TRUE(WriteIpv4Header(ip, tcp.size(), out).ok());
  out.WriteBytes(tcp);
  return packet;
}

TEST(TraceDecoderJsonTest, EveryOptionKind) {
  TraceDecoder decoder;
  const uint8_t cookie[] = {1, 2, 3, 4};
  const uint8_t unknown[] = {99, 4, 0xab, 0xcd};
  SackOption sack;
  sack.blocks[0] = {100, 200};
  sack.count = 1;
  ordered_json j = decoder.DecodeJson(
      BuildPacket({TcpOption{sack}, TcpOption{FastOpenOption{cookie}},
                   TcpOption{RawOption{unknown}}},
                  TcpHeader::kAck),
      0, 1);
  EXPECT_EQ(j.at("tcp_options").dump(),
            "[{\"kind\":5,\"name\":\"sack\",\"blocks\":[{\"left\":100,"
            "\"right\":200}]},{\"kind\":34,\"name\":\"tfo\","
            "\"cookie_request\":false,\"cookie\":\"01020304\"},{\"kind\":99,"
            "\"name\":\"unknown\",\"length\":4,\"data\":\"abcd\"}]");
  EXPECT_EQ(j.at("flags").dump(), "[\"ACK\"]");

  Dss dss;
  dss.data_ack = 0x1122334455667788;
  dss.data_ack_64 = true;
  dss.mapping = DssMapping{.dsn = 0xabcdef01,
                           .dsn_64 = false,
                           .subflow_seq = 5,
                           .data_level_length = 10,
                           .checksum = std::nullopt};
  dss.data_fin = true;
  j = decoder.DecodeJson(
      BuildPacket(
          {MptcpOption{dss}, MptcpOption{*RemoveAddr::Of({3, 4})},
           MptcpOption{MpPrio{.backup = true, .address_id = std::nullopt}}},
          TcpHeader::kAck),
      0, 2);
  const ordered_json& items = Items(j.at("mptcp"));
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].dump(),
            "{\"subtype\":\"DSS\",\"length\":22,\"flags\":23,"
            "\"data_fin\":true,\"data_ack\":\"1122334455667788\","
            "\"data_ack_64\":true,\"dsn\":\"abcdef01\",\"dsn_64\":false,"
            "\"subflow_seq\":5,\"data_level_length\":10}");
  EXPECT_EQ(items[1].dump(),
            "{\"subtype\":\"REMOVE_ADDR\",\"length\":5,\"address_ids\":[3,4]}");
  EXPECT_EQ(items[2].dump(),
            "{\"subtype\":\"MP_PRIO\",\"length\":3,\"backup\":true}");

  j = decoder.DecodeJson(
      BuildPacket({MptcpOption{MpFail{.dsn = 0x0102030405060708}},
                   MptcpOption{MpFastclose{.receiver_key = 0x0102030405060708}},
                   MptcpOption{MpTcpRst{.transient = true, .reason = 6}}},
                  TcpHeader::kAck | TcpHeader::kRst),
      0, 3);
  ASSERT_EQ(Items(j.at("mptcp")).size(), 3u);
  EXPECT_EQ(j.at("mptcp")[0].dump(),
            "{\"subtype\":\"MP_FAIL\",\"length\":12,"
            "\"dsn\":\"0102030405060708\"}");
  EXPECT_EQ(Str(j.at("mptcp")[1].at("receiver_key")), "0102030405060708");
  EXPECT_EQ(HexValue(j.at("mptcp")[1].at("receiver_token")),
            crypto::TokenFromKey(0x0102030405060708));
  EXPECT_EQ(j.at("mptcp")[2].dump(),
            "{\"subtype\":\"MP_TCPRST\",\"length\":4,\"transient\":true,"
            "\"reason\":6,\"reason_name\":\"middlebox_interference\"}");
  EXPECT_EQ(j.at("flags").dump(), "[\"RST\",\"ACK\"]");

  // A malformed MPTCP option is listed in place with its error and bytes.
  const uint8_t bad[] = {30, 5, 0x00, 0x81, 0x00};
  j = decoder.DecodeJson(
      BuildPacket({TcpOption{RawOption{bad}}}, TcpHeader::kSyn), 0, 4);
  ASSERT_EQ(Items(j.at("mptcp")).size(), 1u);
  EXPECT_EQ(Str(j.at("mptcp")[0].at("subtype")), "MP_CAPABLE");
  EXPECT_EQ(Str(j.at("mptcp")[0].at("raw")), "1e05008100");
  EXPECT_FALSE(Str(j.at("mptcp")[0].at("error")).empty());
  EXPECT_EQ(Items(j.at("problems")).size(), 1u);
  EXPECT_EQ(Int(decoder.SummaryJson().at("summary").at("mptcp_option_errors")),
            1);
}

TEST(TraceDecoderJsonTest, RecordsThatAreNotSegments) {
  TraceDecoder decoder;
  const std::vector<uint8_t> garbage = {0x45, 0x00, 0x00};
  ordered_json j = decoder.DecodeJson(garbage, 5'000'000'000, 7);
  EXPECT_EQ(Int(j.at("frame")), 7);
  EXPECT_EQ(j.at("decoded"), false);
  EXPECT_TRUE(j.at("decoded").is_boolean());
  EXPECT_FALSE(Str(j.at("error")).empty());
  j = decoder.TruncatedJson(20, 60, 5'000'000'001, 8);
  EXPECT_EQ(Seconds(j.at("time")), 0.000000001);
  EXPECT_EQ(Seconds(j.at("time_epoch")), 5.000000001);
  EXPECT_EQ(j.at("time_epoch").dump(), "5.000000001");
  EXPECT_EQ(Str(j.at("error")), "truncated capture: 20 of 60 bytes captured");
  j = decoder.UndecodableJson("frame of 5 bytes", 5'000'000'002, 9);
  EXPECT_EQ(Str(j.at("error")), "frame of 5 bytes");
  const ordered_json s = decoder.SummaryJson().at("summary");
  EXPECT_EQ(Int(s.at("packets")), 3);
  EXPECT_EQ(Int(s.at("malformed")), 2);
  EXPECT_EQ(Int(s.at("truncated")), 1);
  EXPECT_EQ(s.at("clean"), false);
}

}  // namespace
}  // namespace plait::wire
