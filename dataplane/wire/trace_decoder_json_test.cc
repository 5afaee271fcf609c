// The JSON mode of TraceDecoder (plait-wire decode): the fields it reports on
// the real kernel captures in testdata/, the MPTCP connection tracking (join
// tokens, MP_JOIN and ADD_ADDR HMAC verdicts, DSS checksum verdicts), and the
// JSON writer itself.
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

namespace plait::wire {
namespace {

std::vector<std::vector<uint8_t>> Packets(const std::string& name) {
  return testing_util::CapturePackets(name);
}

struct Decoded {
  std::vector<JsonValue> segments;
  JsonValue summary;
};

Decoded DecodeAll(const std::vector<std::vector<uint8_t>>& packets) {
  TraceDecoder decoder;
  Decoded out;
  for (size_t i = 0; i < packets.size(); ++i) {
    out.segments.push_back(decoder.DecodeJson(packets[i], 1000 * i, i + 1));
  }
  out.summary = decoder.SummaryJson()["summary"];
  return out;
}

// Every MPTCP option object of the given subtype (and variant, if not
// empty), across all segments.
std::vector<JsonValue> Options(const Decoded& decoded,
                               const std::string& subtype,
                               const std::string& variant = "") {
  std::vector<JsonValue> found;
  for (const JsonValue& segment : decoded.segments) {
    for (const JsonValue& option : segment["mptcp"].items()) {
      if (option["subtype"].text() != subtype) continue;
      if (!variant.empty() && option["variant"].text() != variant) continue;
      found.push_back(option);
    }
  }
  return found;
}

uint64_t HexValue(const JsonValue& value) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleHexAtoi(value.text(), &v)) << value.ToString();
  return v;
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
    const auto& items = decoded.segments[i]["mptcp"].items();
    if (!items.empty() && items[0]["subtype"].text() == subtype &&
        (variant.empty() || items[0]["variant"].text() == variant)) {
      return i;
    }
  }
  ADD_FAILURE() << "no " << subtype << " " << variant;
  return 0;
}

TEST(JsonValueTest, WritesCompactEscapedJson) {
  JsonValue v = JsonValue::Object();
  v.Set("s", "a\"b\\c\n\t\x01 \xc3\xa9");
  v.Set("n", uint64_t{18446744073709551615u});
  v.Set("neg", -5);
  v.Set("b", false);
  v.Set("null", JsonValue());
  v.Set("list",
        JsonValue::Array().Append(1).Append("x").Append(JsonValue::Object()));
  v.Set("t", JsonValue::NumberText("0.000125"));
  EXPECT_EQ(v.ToString(),
            "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001 \xc3\xa9\","
            "\"n\":18446744073709551615,\"neg\":-5,\"b\":false,\"null\":null,"
            "\"list\":[1,\"x\",{}],\"t\":0.000125}");
  v.Set("b", true);  // replaced in place
  EXPECT_TRUE(v["b"].bool_value());
  EXPECT_EQ(v.members()[3].first, "b");
  EXPECT_TRUE(v["absent"].is_null());
  EXPECT_FALSE(v.Has("absent"));
  EXPECT_EQ(v["neg"].int_value(), -5);
  EXPECT_EQ(JsonQuote("\x7f\x1f"), "\"\x7f\\u001f\"");
}

TEST(TraceDecoderJsonTest, SegmentFields) {
  const Decoded d = DecodeAll(Packets("kernel_mptcp.pcap"));
  const JsonValue& syn = d.segments[0];
  EXPECT_EQ(syn["frame"].int_value(), 1);
  EXPECT_EQ(syn["time"].text(), "0.000000000");
  EXPECT_EQ(syn["src"].text(), "10.1.0.1");
  EXPECT_EQ(syn["dst"].text(), "10.1.0.2");
  EXPECT_EQ(syn["dst_port"].int_value(), 5201);
  EXPECT_EQ(syn["flags"].ToString(), "[\"SYN\"]");
  EXPECT_TRUE(syn["tcp_checksum_valid"].bool_value());
  EXPECT_EQ(syn["payload_length"].int_value(), 0);
  EXPECT_EQ(syn["seq_relative"].int_value(), 0);
  EXPECT_TRUE(syn["seq"].is_number());
  EXPECT_EQ(syn["tcp_options"].ToString(),
            "[{\"kind\":2,\"name\":\"mss\",\"mss\":1460},"
            "{\"kind\":3,\"name\":\"window_scale\",\"shift\":10},"
            "{\"kind\":4,\"name\":\"sack_permitted\"},"
            "{\"kind\":8,\"name\":\"timestamps\",\"tsval\":643820506,"
            "\"tsecr\":0}]");
  const JsonValue& synack = d.segments[1];
  EXPECT_EQ(synack["flags"].ToString(), "[\"SYN\",\"ACK\"]");
  EXPECT_EQ(synack["time"].text(), "0.000001000");
  EXPECT_EQ(synack["ack"].int_value(), syn["seq"].int_value() + 1);
  // Every segment of the capture is decoded, belongs to the connection and
  // has no problems.
  for (const JsonValue& segment : d.segments) {
    EXPECT_FALSE(segment.Has("problems")) << segment.ToString();
    EXPECT_FALSE(segment.Has("error")) << segment.ToString();
    EXPECT_EQ(segment["connection"].int_value(), 0) << segment.ToString();
  }
}

// Keys, tokens, IDSNs, nonces, HMACs, DSNs and data ACKs are fixed-width hex.
TEST(TraceDecoderJsonTest, HexFieldsHaveFixedWidths) {
  const Decoded d = DecodeAll(Packets("kernel_mptcp.pcap"));
  for (const JsonValue& mpc : Options(d, "MP_CAPABLE")) {
    for (const char* who : {"sender", "receiver"}) {
      const std::string w = who;
      if (!mpc.Has(w + "_key")) continue;
      EXPECT_EQ(mpc[w + "_key"].text().size(), 16u);
      EXPECT_EQ(mpc[w + "_token"].text().size(), 8u);
      EXPECT_EQ(mpc[w + "_idsn"].text().size(), 16u);
      const uint64_t key = HexValue(mpc[w + "_key"]);
      EXPECT_EQ(HexValue(mpc[w + "_token"]), crypto::TokenFromKey(key));
      EXPECT_EQ(HexValue(mpc[w + "_idsn"]), crypto::IdsnFromKey(key));
    }
  }
  for (const JsonValue& join : Options(d, "MP_JOIN", "SYN")) {
    EXPECT_EQ(join["token"].text().size(), 8u);
    EXPECT_EQ(join["nonce"].text().size(), 8u);
  }
  for (const JsonValue& join : Options(d, "MP_JOIN", "SYN/ACK")) {
    EXPECT_EQ(join["hmac"].text().size(), 16u);
    EXPECT_EQ(join["nonce"].text().size(), 8u);
  }
  for (const JsonValue& join : Options(d, "MP_JOIN", "ACK")) {
    EXPECT_EQ(join["hmac"].text().size(), 40u);
  }
  int dss_with_mapping = 0;
  for (const JsonValue& dss : Options(d, "DSS")) {
    if (dss.Has("data_ack")) {
      EXPECT_EQ(dss["data_ack"].text().size(),
                dss["data_ack_64"].bool_value() ? 16u : 8u);
    }
    if (dss.Has("dsn")) {
      ++dss_with_mapping;
      EXPECT_EQ(dss["dsn"].text().size(),
                dss["dsn_64"].bool_value() ? 16u : 8u);
      EXPECT_TRUE(dss["subflow_seq"].is_number());
      EXPECT_TRUE(dss["data_level_length"].is_number());
      EXPECT_FALSE(dss.Has("checksum"));  // not negotiated in this capture
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
    const std::vector<JsonValue> acks = Options(d, "MP_CAPABLE", "ACK");
    ASSERT_FALSE(acks.empty());
    const uint64_t client_key = HexValue(acks[0]["sender_key"]);
    const uint64_t server_key = HexValue(acks[0]["receiver_key"]);
    ASSERT_EQ(Options(d, "MP_CAPABLE", "SYN/ACK").size(), 1u);
    EXPECT_EQ(HexValue(Options(d, "MP_CAPABLE", "SYN/ACK")[0]["sender_key"]),
              server_key);

    const std::vector<JsonValue> syns = Options(d, "MP_JOIN", "SYN");
    ASSERT_EQ(syns.size(), 2u);
    for (const JsonValue& syn : syns) {
      EXPECT_TRUE(syn["token_known"].bool_value()) << syn.ToString();
      EXPECT_EQ(syn["connection"].int_value(), 0);
      EXPECT_EQ(HexValue(syn["token"]), crypto::TokenFromKey(server_key));
    }
    int hmacs = 0;
    for (const char* variant : {"SYN/ACK", "ACK"}) {
      for (const JsonValue& join : Options(d, "MP_JOIN", variant)) {
        EXPECT_TRUE(join["hmac_valid"].is_bool()) << join.ToString();
        EXPECT_TRUE(join["hmac_valid"].bool_value()) << join.ToString();
        ++hmacs;
      }
    }
    EXPECT_EQ(hmacs, 4);
    int add_addrs = 0;
    for (const JsonValue& add : Options(d, "ADD_ADDR")) {
      EXPECT_EQ(add["address"].text(), "10.2.0.2");
      if (add["echo"].bool_value()) {
        EXPECT_FALSE(add.Has("hmac_valid"));
        continue;
      }
      EXPECT_EQ(add["sender"].text(), "server");
      EXPECT_TRUE(add["hmac_valid"].bool_value()) << add.ToString();
      ++add_addrs;
    }
    EXPECT_EQ(add_addrs, 1);

    const JsonValue& s = d.summary;
    EXPECT_EQ(s["join_tokens"]["known"].int_value(), 2);
    EXPECT_EQ(s["join_tokens"]["unknown"].int_value(), 0);
    EXPECT_EQ(s["hmacs"]["valid"].int_value(), 5);
    EXPECT_EQ(s["hmacs"]["invalid"].int_value(), 0);
    EXPECT_EQ(s["hmacs"]["unknown"].int_value(), 0);
    EXPECT_TRUE(s["clean"].bool_value());
    ASSERT_EQ(s["connections"].items().size(), 1u);
    const JsonValue& c = s["connections"].items()[0];
    EXPECT_EQ(HexValue(c["client_key"]), client_key);
    EXPECT_EQ(HexValue(c["server_key"]), server_key);
    EXPECT_EQ(c["subflows"].items().size(), 3u);
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
    const JsonValue& option = d.segments[index]["mptcp"].items()[0];
    EXPECT_TRUE(d.segments[index]["tcp_checksum_valid"].bool_value());
    EXPECT_TRUE(option["hmac_valid"].is_bool()) << option.ToString();
    EXPECT_FALSE(option["hmac_valid"].bool_value()) << option.ToString();
    EXPECT_TRUE(option.Has("hmac_expected"));
    EXPECT_EQ(d.summary["hmacs"]["invalid"].int_value(), 1);
    EXPECT_EQ(d.summary["hmacs"]["valid"].int_value(), 4);
    EXPECT_FALSE(d.summary["clean"].bool_value());
  }
}

// A join to an unknown token belongs to no connection, and its HMACs cannot
// be verified (null, not false).
TEST(TraceDecoderJsonTest, UnknownTokenLeavesHmacsUnknown) {
  auto packets = Packets("kernel_mptcp.pcap");
  const size_t index = FindPacket(packets, "MP_JOIN", "SYN");
  FlipOptionBit(packets[index], 4);  // the token's first byte
  const Decoded d = DecodeAll(packets);
  const JsonValue& syn = d.segments[index]["mptcp"].items()[0];
  EXPECT_FALSE(syn["token_known"].bool_value());
  EXPECT_TRUE(syn["token_known"].is_bool());
  EXPECT_TRUE(syn["connection"].is_null());
  EXPECT_TRUE(d.segments[index]["connection"].is_null());
  const JsonValue& synack = d.segments[index + 1]["mptcp"].items()[0];
  ASSERT_EQ(synack["variant"].text(), "SYN/ACK");
  EXPECT_TRUE(synack.Has("hmac_valid"));
  EXPECT_TRUE(synack["hmac_valid"].is_null());
  EXPECT_EQ(d.summary["join_tokens"]["unknown"].int_value(), 1);
  EXPECT_EQ(d.summary["hmacs"]["unknown"].int_value(), 2);
  EXPECT_EQ(d.summary["hmacs"]["valid"].int_value(), 3);
}

// Without the MP_CAPABLE exchange the keys are unknown: nothing to verify.
TEST(TraceDecoderJsonTest, CaptureWithoutHandshakeHasNoVerdicts) {
  auto packets = Packets("kernel_mptcp.pcap");
  packets.erase(packets.begin(), packets.begin() + 3);
  const Decoded d = DecodeAll(packets);
  for (const JsonValue& syn : Options(d, "MP_JOIN", "SYN")) {
    EXPECT_FALSE(syn["token_known"].bool_value());
  }
  EXPECT_EQ(d.summary["hmacs"]["valid"].int_value(), 0);
  EXPECT_EQ(d.summary["hmacs"]["invalid"].int_value(), 0);
  EXPECT_EQ(d.summary["hmacs"]["unknown"].int_value(), 5);
}

// Each checksummed mapping gets one verdict, on the segment that completes
// it; the options carrying the mapping show it from then on.
TEST(TraceDecoderJsonTest, DssChecksumVerdicts) {
  const Decoded d = DecodeAll(Packets("kernel_mptcp_checksum.pcap"));
  int verdicts = 0;
  for (const JsonValue& segment : d.segments) {
    for (const JsonValue& v : segment["checksum_verdicts"].items()) {
      EXPECT_TRUE(v["valid"].bool_value()) << v.ToString();
      EXPECT_EQ(v["dsn"].text().size(), 16u);
      ++verdicts;
      // The segment that completes a mapping carries it (Linux repeats the
      // mapping on every segment it covers).
      bool carried = false;
      for (const JsonValue& option : segment["mptcp"].items()) {
        if (option["dsn"].text() == v["dsn"].text()) {
          carried = true;
          EXPECT_TRUE(option["checksum_valid"].bool_value());
          EXPECT_EQ(option["checksum_status"].text(), "valid");
        }
      }
      EXPECT_TRUE(carried) << segment.ToString();
    }
  }
  EXPECT_EQ(verdicts, 15);
  int with_checksum = 0;
  for (const JsonValue& dss : Options(d, "DSS")) {
    if (!dss.Has("checksum")) {
      EXPECT_FALSE(dss.Has("checksum_valid"));
      continue;
    }
    ++with_checksum;
    EXPECT_EQ(dss["checksum"].text().size(), 4u);
    // Valid, or still collecting the mapping's bytes: never invalid.
    if (!dss["checksum_valid"].is_null()) {
      EXPECT_TRUE(dss["checksum_valid"].bool_value()) << dss.ToString();
    } else {
      EXPECT_EQ(dss["checksum_status"].text(), "pending") << dss.ToString();
    }
  }
  EXPECT_GE(with_checksum, 17);
  EXPECT_EQ(d.summary["checksums"]["valid"].int_value(), 15);
  EXPECT_EQ(d.summary["checksums"]["invalid"].int_value(), 0);
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
  for (const JsonValue& segment : d.segments) {
    for (const JsonValue& v : segment["checksum_verdicts"].items()) {
      if (!v["valid"].bool_value()) ++invalid;
    }
  }
  EXPECT_EQ(invalid, 1);
  EXPECT_EQ(d.summary["checksums"]["invalid"].int_value(), 1);
  EXPECT_FALSE(d.summary["clean"].bool_value());
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
  JsonValue j = decoder.DecodeJson(
      BuildPacket({TcpOption{sack}, TcpOption{FastOpenOption{cookie}},
                   TcpOption{RawOption{unknown}}},
                  TcpHeader::kAck),
      0, 1);
  EXPECT_EQ(j["tcp_options"].ToString(),
            "[{\"kind\":5,\"name\":\"sack\",\"blocks\":[{\"left\":100,"
            "\"right\":200}]},{\"kind\":34,\"name\":\"tfo\","
            "\"cookie_request\":false,\"cookie\":\"01020304\"},{\"kind\":99,"
            "\"name\":\"unknown\",\"length\":4,\"data\":\"abcd\"}]");
  EXPECT_EQ(j["flags"].ToString(), "[\"ACK\"]");

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
  const auto& items = j["mptcp"].items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].ToString(),
            "{\"subtype\":\"DSS\",\"length\":22,\"flags\":23,"
            "\"data_fin\":true,\"data_ack\":\"1122334455667788\","
            "\"data_ack_64\":true,\"dsn\":\"abcdef01\",\"dsn_64\":false,"
            "\"subflow_seq\":5,\"data_level_length\":10}");
  EXPECT_EQ(items[1].ToString(),
            "{\"subtype\":\"REMOVE_ADDR\",\"length\":5,\"address_ids\":[3,4]}");
  EXPECT_EQ(items[2].ToString(),
            "{\"subtype\":\"MP_PRIO\",\"length\":3,\"backup\":true}");

  j = decoder.DecodeJson(
      BuildPacket({MptcpOption{MpFail{.dsn = 0x0102030405060708}},
                   MptcpOption{MpFastclose{.receiver_key = 0x0102030405060708}},
                   MptcpOption{MpTcpRst{.transient = true, .reason = 6}}},
                  TcpHeader::kAck | TcpHeader::kRst),
      0, 3);
  ASSERT_EQ(j["mptcp"].items().size(), 3u);
  EXPECT_EQ(j["mptcp"].items()[0].ToString(),
            "{\"subtype\":\"MP_FAIL\",\"length\":12,"
            "\"dsn\":\"0102030405060708\"}");
  EXPECT_EQ(j["mptcp"].items()[1]["receiver_key"].text(), "0102030405060708");
  EXPECT_EQ(HexValue(j["mptcp"].items()[1]["receiver_token"]),
            crypto::TokenFromKey(0x0102030405060708));
  EXPECT_EQ(j["mptcp"].items()[2].ToString(),
            "{\"subtype\":\"MP_TCPRST\",\"length\":4,\"transient\":true,"
            "\"reason\":6,\"reason_name\":\"middlebox_interference\"}");
  EXPECT_EQ(j["flags"].ToString(), "[\"RST\",\"ACK\"]");

  // A malformed MPTCP option is listed in place with its error and bytes.
  const uint8_t bad[] = {30, 5, 0x00, 0x81, 0x00};
  j = decoder.DecodeJson(
      BuildPacket({TcpOption{RawOption{bad}}}, TcpHeader::kSyn), 0, 4);
  ASSERT_EQ(j["mptcp"].items().size(), 1u);
  EXPECT_EQ(j["mptcp"].items()[0]["subtype"].text(), "MP_CAPABLE");
  EXPECT_EQ(j["mptcp"].items()[0]["raw"].text(), "1e05008100");
  EXPECT_FALSE(j["mptcp"].items()[0]["error"].text().empty());
  EXPECT_EQ(j["problems"].items().size(), 1u);
  EXPECT_EQ(decoder.SummaryJson()["summary"]["mptcp_option_errors"].int_value(),
            1);
}

TEST(TraceDecoderJsonTest, RecordsThatAreNotSegments) {
  TraceDecoder decoder;
  const std::vector<uint8_t> garbage = {0x45, 0x00, 0x00};
  JsonValue j = decoder.DecodeJson(garbage, 5'000'000'000, 7);
  EXPECT_EQ(j["frame"].int_value(), 7);
  EXPECT_FALSE(j["decoded"].bool_value());
  EXPECT_TRUE(j["decoded"].is_bool());
  EXPECT_FALSE(j["error"].text().empty());
  j = decoder.TruncatedJson(20, 60, 5'000'000'001, 8);
  EXPECT_EQ(j["time"].text(), "0.000000001");
  EXPECT_EQ(j["time_epoch"].text(), "5.000000001");
  EXPECT_EQ(j["error"].text(), "truncated capture: 20 of 60 bytes captured");
  j = decoder.UndecodableJson("frame of 5 bytes", 5'000'000'002, 9);
  EXPECT_EQ(j["error"].text(), "frame of 5 bytes");
  const JsonValue s = decoder.SummaryJson()["summary"];
  EXPECT_EQ(s["packets"].int_value(), 3);
  EXPECT_EQ(s["malformed"].int_value(), 2);
  EXPECT_EQ(s["truncated"].int_value(), 1);
  EXPECT_FALSE(s["clean"].bool_value());
}

}  // namespace
}  // namespace plait::wire
