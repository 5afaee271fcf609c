#include "dataplane/wire/option_writer.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

OptionLayout MustFinish(const OptionWriter& writer) {
  auto layout = writer.Finish();
  EXPECT_TRUE(layout.ok()) << layout.status();
  return layout.ok() ? *layout : OptionLayout{};
}

// The SYN the Linux kernel sent in testdata/kernel_mptcp.pcap (frame 3),
// rebuilt option by option and added in a different order: the layout is
// Linux's, byte for byte.
TEST(OptionWriterTest, SynMatchesTheKernelByteForByte) {
  OptionWriter writer;
  writer.Add(MptcpOption{MpCapable{.version = 1, .flags = kMpcFlagH}});
  writer.Add(TcpOption{WindowScaleOption{10}});
  writer.Add(TcpOption{TimestampsOption{0x265febda, 0}});
  writer.Add(TcpOption{SackPermittedOption{}});
  writer.Add(TcpOption{MssOption{1460}});
  const OptionLayout layout = MustFinish(writer);
  EXPECT_EQ(Hex(layout.option_bytes()),
            "020405b40402080a265febda000000000103030a1e040101");
  EXPECT_TRUE(layout.aligned);
  EXPECT_EQ(layout.omitted_count, 0);
}

// Frame 16 of the same capture: a data segment with timestamps and a DSS
// carrying a 32-bit Data ACK and a 64-bit DSN, padded with two NOPs.
TEST(OptionWriterTest, DataSegmentMatchesTheKernel) {
  OptionWriter writer;
  Dss dss;
  dss.data_ack = 0xdaf0dc46;
  dss.mapping = DssMapping{.dsn = 0x93e58074ad26a086,
                           .dsn_64 = true,
                           .subflow_seq = 1,
                           .data_level_length = 0x0bb8};
  writer.Add(MptcpOption{dss});
  writer.Add(TcpOption{TimestampsOption{0x265fedcf, 0x6d200e5e}});
  const OptionLayout layout = MustFinish(writer);
  EXPECT_EQ(Hex(layout.option_bytes()),
            "0101080a265fedcf6d200e5e1e16200ddaf0dc4693e58074ad26a086000000010b"
            "b80101");
}

// Frame 6: ADD_ADDR with its HMAC beside timestamps.
TEST(OptionWriterTest, AddAddrMatchesTheKernel) {
  OptionWriter writer;
  writer.Add(TcpOption{TimestampsOption{0x6d200e5e, 0x265febda}});
  AddAddr add;
  add.address_id = 1;
  add.address = IpAddress::V4(0x0a020002);
  add.truncated_hmac = 0x98cbb3301725db17;
  writer.Add(MptcpOption{add});
  EXPECT_EQ(Hex(MustFinish(writer).option_bytes()),
            "0101080a6d200e5e265febda1e1030010a02000298cbb3301725db17");
}

TEST(OptionWriterTest, LowPriorityOptionsWaitForTheNextSegment) {
  OptionWriter writer;
  AddAddr add;  // IPv6 with port and HMAC: 30 bytes
  add.address_id = 7;
  add.address = *IpAddress::Parse("fd00::7");
  add.port = 443;
  add.truncated_hmac = 1;
  const size_t add_index = writer.Add(MptcpOption{add});
  writer.Add(TcpOption{TimestampsOption{1, 2}});
  Dss dss;
  dss.data_ack = 5;
  dss.data_ack_64 = true;  // 12 bytes
  writer.Add(MptcpOption{dss});
  const OptionLayout layout = MustFinish(writer);
  ASSERT_EQ(layout.omitted_count, 1);
  EXPECT_EQ(layout.omitted[0], add_index);
  EXPECT_EQ(layout.length, 24);  // NOP NOP TS + DSS
  auto parsed = ParseTcpOptions(layout.option_bytes());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->timestamps.has_value());
  ASSERT_EQ(parsed->mptcp_count, 1);
}

// 30 + 10 bytes fit only without alignment padding; Linux would drop the
// timestamps here (its add_addr_v6_port_drop_ts), we keep both.
TEST(OptionWriterTest, PacksTightWhenAlignmentWouldNotFit) {
  OptionWriter writer;
  AddAddr add;
  add.address_id = 2;
  add.address = *IpAddress::Parse("2001:db8::2");
  add.port = 8080;
  add.truncated_hmac = 0x0102030405060708;
  writer.Add(MptcpOption{add});
  writer.Add(TcpOption{TimestampsOption{10, 20}});
  const OptionLayout layout = MustFinish(writer);
  EXPECT_EQ(layout.omitted_count, 0);
  EXPECT_FALSE(layout.aligned);
  EXPECT_EQ(layout.length, 40);
  auto parsed = ParseTcpOptions(layout.option_bytes());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->timestamps->tsval, 10u);
  ASSERT_EQ(parsed->mptcp_count, 1);
  auto option = ParseMptcpOption(parsed->mptcp[0]);
  ASSERT_TRUE(option.ok());
  EXPECT_EQ(std::get<AddAddr>(*option), add);
}

TEST(OptionWriterTest, SackShrinksToTheBlocksThatFit) {
  OptionWriter writer;
  SackOption sack;
  sack.count = 4;
  for (uint32_t i = 0; i < 4; ++i) sack.blocks[i] = {100 * i, 100 * i + 50};
  writer.Add(TcpOption{sack});
  writer.Add(TcpOption{TimestampsOption{1, 2}});
  Dss dss;
  dss.data_ack = 9;
  dss.data_ack_64 = true;
  writer.Add(MptcpOption{dss});
  const OptionLayout layout = MustFinish(writer);
  // 40 - 10 (TS) - 12 (DSS) = 18 bytes: two blocks (2 + 16).
  EXPECT_EQ(layout.sack_blocks_written, 2);
  EXPECT_EQ(layout.omitted_count, 0);
  auto parsed = ParseTcpOptions(layout.option_bytes());
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->sack_block_count, 2);
  EXPECT_EQ(parsed->sack_blocks[0], sack.blocks[0]);  // most recent first
  EXPECT_EQ(parsed->sack_blocks[1], sack.blocks[1]);
}

TEST(OptionWriterTest, SackWithNoRoomIsOmitted) {
  OptionWriter writer;
  MpJoinAck ack;  // 24 bytes
  writer.Add(MptcpOption{ack});
  writer.Add(TcpOption{TimestampsOption{1, 2}});
  SackOption sack;
  sack.count = 1;
  const size_t sack_index = writer.Add(TcpOption{sack});
  const OptionLayout layout = MustFinish(writer);  // 40 - 34 = 6 < 10
  ASSERT_EQ(layout.omitted_count, 1);
  EXPECT_EQ(layout.omitted[0], sack_index);
  EXPECT_EQ(layout.sack_blocks_written, 0);
}

TEST(OptionWriterTest, EmptyWriterGivesNoOptions) {
  OptionWriter writer;
  EXPECT_EQ(MustFinish(writer).length, 0);
}

TEST(OptionWriterTest, RefusesWhatCannotBeEncodedAndNamesIt) {
  OptionWriter writer;
  writer.Add(TcpOption{MssOption{1460}});
  writer.Add(TcpOption{WindowScaleOption{15}});
  auto layout = writer.Finish();
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("option 1"), std::string::npos)
      << layout.status();

  OptionWriter empty_remove;
  empty_remove.Add(MptcpOption{RemoveAddr{}});
  layout = empty_remove.Finish();
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("REMOVE_ADDR"), std::string::npos)
      << layout.status();
}

TEST(OptionWriterTest, RefusesTooManyOptions) {
  OptionWriter writer;
  for (size_t i = 0; i <= OptionLayout::kMaxOptions; ++i) {
    writer.Add(MptcpOption{MpPrio{}});
  }
  EXPECT_FALSE(writer.Finish().ok());
}

TEST(OptionWriterTest, RefusesDuplicateNonRepeatableTcpOptions) {
  const std::vector<uint8_t> cookie = {1, 2, 3, 4};
  SackOption sack;
  sack.count = 1;
  const struct {
    TcpOption option;
    const char* name;
  } cases[] = {
      {MssOption{1460}, "MSS"},
      {TimestampsOption{1, 2}, "timestamps"},
      {WindowScaleOption{7}, "window scale"},
      {SackPermittedOption{}, "SACK-permitted"},
      {sack, "SACK"},
      {FastOpenOption{cookie}, "TCP Fast Open"},
  };
  for (const auto& c : cases) {
    OptionWriter writer;
    writer.Add(c.option);
    writer.Add(MptcpOption{MpPrio{}});
    writer.Add(c.option);
    auto layout = writer.Finish();
    ASSERT_FALSE(layout.ok()) << c.name;
    EXPECT_TRUE(absl::IsInvalidArgument(layout.status())) << layout.status();
    EXPECT_NE(layout.status().message().find(std::string("(") + c.name + ")"),
              std::string::npos)
        << layout.status();
    EXPECT_NE(layout.status().message().find("option 2"), std::string::npos)
        << layout.status();
  }
  // A raw option counts by its kind byte: a raw MSS beside a typed one.
  const std::vector<uint8_t> raw_mss = {kTcpOptionMss, 4, 0x05, 0xb4};
  OptionWriter writer;
  writer.Add(TcpOption{MssOption{1460}});
  writer.Add(TcpOption{RawOption{raw_mss}});
  auto layout = writer.Finish();
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("MSS"), std::string::npos)
      << layout.status();
  // MPTCP options may repeat.
  OptionWriter mptcp;
  mptcp.Add(MptcpOption{MpPrio{}});
  mptcp.Add(MptcpOption{MpTcpRst{}});
  EXPECT_TRUE(mptcp.Finish().ok());
}

// Linux writes TFO as kind, length, cookie, then NOP NOP when the length is
// 2 mod 4 (tcp_options_write); the aligned layout does the same.
TEST(OptionWriterTest, FastOpenIsPaddedAfterTheCookieAsLinuxDoes) {
  const std::vector<uint8_t> cookie = {0xa1, 0xa2, 0xa3, 0xa4,
                                       0xa5, 0xa6, 0xa7, 0xa8};
  OptionWriter writer;
  writer.Add(TcpOption{FastOpenOption{cookie}});
  writer.Add(TcpOption{MssOption{1460}});
  const OptionLayout layout = MustFinish(writer);
  EXPECT_TRUE(layout.aligned);
  EXPECT_EQ(Hex(layout.option_bytes()), "020405b4220aa1a2a3a4a5a6a7a80101");
}

// The writer's priority classes (option_writer.h), restated independently so
// that the test can work out which options had to be left out.
int TestPriority(const OptionWriter::Option& option) {
  if (const auto* tcp = std::get_if<TcpOption>(&option)) {
    if (std::holds_alternative<MssOption>(*tcp)) return 1;
    if (std::holds_alternative<TimestampsOption>(*tcp)) return 4;
    if (std::holds_alternative<SackOption>(*tcp)) return 8;
    if (std::holds_alternative<RawOption>(*tcp)) return 9;
    return 6;  // window scale, SACK-permitted, TFO
  }
  switch (SubtypeOf(std::get<MptcpOption>(option))) {
    case MptcpSubtype::kMpCapable:
    case MptcpSubtype::kMpJoin:
      return 2;
    case MptcpSubtype::kMpTcpRst:
    case MptcpSubtype::kMpFastclose:
    case MptcpSubtype::kMpFail:
      return 3;
    case MptcpSubtype::kDss:
      return 5;
    case MptcpSubtype::kAddAddr:
    case MptcpSubtype::kRemoveAddr:
    case MptcpSubtype::kMpPrio:
      return 7;
    case MptcpSubtype::kMpExperimental:
      return 9;
  }
  return 9;
}

size_t TestLength(const OptionWriter::Option& option) {
  if (const auto* tcp = std::get_if<TcpOption>(&option)) {
    return EncodedLength(*tcp);
  }
  return EncodedLength(std::get<MptcpOption>(option));
}

// Any mix of options gives a layout that the parsers read back as exactly the
// options that were not omitted, with the same values; the omitted ones are
// absent, and each was omitted only because it did not fit in the room left
// when its turn came.
TEST(OptionWriterTest, RandomMixesParseBackExactly) {
  std::mt19937 rng(20261129);
  const std::vector<uint8_t> cookie = {1, 2, 3, 4, 5, 6};
  const std::vector<uint8_t> experimental = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
  constexpr int kPicks = 20;
  for (int round = 0; round < 3000; ++round) {
    OptionWriter writer;
    std::vector<OptionWriter::Option> added;
    const int n = 1 + rng() % 6;
    bool have_kind[kPicks] = {};
    for (int k = 0; k < n; ++k) {
      const int pick = rng() % kPicks;
      if (have_kind[pick]) continue;  // TCP kinds may appear only once
      have_kind[pick] = true;
      OptionWriter::Option option;
      switch (pick) {
        case 0:
          option = TcpOption{MssOption{uint16_t(rng())}};
          break;
        case 1:
          option = TcpOption{WindowScaleOption{uint8_t(rng() % 15)}};
          break;
        case 2:
          option = TcpOption{SackPermittedOption{}};
          break;
        case 3:
          option =
              TcpOption{TimestampsOption{uint32_t(rng()), uint32_t(rng())}};
          break;
        case 4: {
          SackOption sack;
          sack.count = 1 + rng() % 4;
          for (auto& b : sack.blocks) b = {uint32_t(rng()), uint32_t(rng())};
          option = TcpOption{sack};
          break;
        }
        case 5:
          option = TcpOption{FastOpenOption{cookie}};
          break;
        case 6: {
          Dss dss;
          dss.data_ack = rng();
          dss.mapping = DssMapping{.dsn = rng(),
                                   .dsn_64 = true,
                                   .subflow_seq = uint32_t(rng()),
                                   .data_level_length = uint16_t(rng())};
          if (rng() % 2) dss.mapping->checksum = uint16_t(rng());
          option = MptcpOption{dss};
          break;
        }
        case 7:
          option = MptcpOption{MpPrio{.backup = bool(rng() % 2)}};
          break;
        case 8: {
          RemoveAddr remove;
          const int ids = 1 + rng() % 8;
          for (int i = 0; i < ids; ++i) remove.Add(uint8_t(rng()));
          option = MptcpOption{remove};
          break;
        }
        case 9: {
          AddAddr add;
          add.address_id = rng();
          add.address = IpAddress::V4(rng());
          add.truncated_hmac = rng();
          if (rng() % 2) add.port = rng();
          option = MptcpOption{add};
          break;
        }
        case 10:
          option = MptcpOption{MpTcpRst{.reason = uint8_t(rng() % 7)}};
          break;
        case 11:
          option = MptcpOption{MpFail{.dsn = rng()}};
          break;
        case 12:
          option = MptcpOption{MpCapable::Syn(kMpcFlagH)};
          break;
        case 13:
          option = MptcpOption{MpCapable::SynAck(
              kMpcFlagA | kMpcFlagH, uint64_t{rng()} << 32 | rng())};
          break;
        case 14:
          option = MptcpOption{MpCapable::Ack(kMpcFlagH,
                                              uint64_t{rng()} << 32 | rng(),
                                              uint64_t{rng()} << 32 | rng())};
          break;
        case 15: {
          std::optional<uint16_t> checksum;
          if (rng() % 2) checksum = uint16_t(rng());
          option = MptcpOption{
              MpCapable::AckWithData(kMpcFlagH, uint64_t{rng()} << 32 | rng(),
                                     rng(), uint16_t(rng()), checksum)};
          break;
        }
        case 16:
          option = MptcpOption{MpJoinSyn{.backup = bool(rng() % 2),
                                         .address_id = uint8_t(rng()),
                                         .token = uint32_t(rng()),
                                         .nonce = uint32_t(rng())}};
          break;
        case 17:
          option = MptcpOption{
              MpJoinSynAck{.backup = bool(rng() % 2),
                           .address_id = uint8_t(rng()),
                           .truncated_hmac = uint64_t{rng()} << 32 | rng(),
                           .nonce = uint32_t(rng())}};
          break;
        case 18: {
          MpJoinAck ack;
          for (auto& b : ack.hmac) b = uint8_t(rng());
          option = MptcpOption{ack};
          break;
        }
        case 19:
          option = MptcpOption{MpExperimental{
              .nibble = uint8_t(rng() % 16),
              .payload = absl::MakeConstSpan(experimental)
                             .subspan(0, rng() % experimental.size())}};
          break;
      }
      added.push_back(option);
      std::visit([&](const auto& o) { writer.Add(o); }, option);
    }
    const OptionLayout layout = MustFinish(writer);
    ASSERT_EQ(layout.length % 4, 0);
    ASSERT_LE(layout.length, 40);
    auto parsed = ParseTcpOptions(layout.option_bytes());
    ASSERT_TRUE(parsed.ok()) << parsed.status() << " round " << round;
    EXPECT_EQ(parsed->problem_count, 0) << "round " << round;
    EXPECT_EQ(parsed->unknown_count, 0) << "round " << round;

    // Which options must be left out: take them by priority (stable), each
    // if it fits in the room left; SACK shrinks to the blocks that fit.
    std::vector<size_t> order(added.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return TestPriority(added[a]) < TestPriority(added[b]);
    });
    std::vector<bool> must_omit(added.size(), false);
    size_t room = 40;
    size_t sack_blocks = 0;
    for (size_t i : order) {
      size_t length = TestLength(added[i]);
      bool fits = length <= room;
      if (const auto* tcp = std::get_if<TcpOption>(&added[i])) {
        if (const auto* sack = std::get_if<SackOption>(tcp)) {
          const size_t fit = room >= 10 ? (room - 2) / 8 : 0;
          sack_blocks = std::min<size_t>(sack->count, fit);
          length = 2 + 8 * sack_blocks;
          fits = sack_blocks > 0;
        }
      }
      if (fits) {
        room -= length;
      } else {
        must_omit[i] = true;
      }
    }
    std::vector<bool> omitted(added.size(), false);
    for (uint8_t o : layout.omitted_indices()) {
      ASSERT_LT(o, added.size());
      omitted[o] = true;
    }
    EXPECT_EQ(omitted, must_omit) << "round " << round;
    EXPECT_EQ(layout.sack_blocks_written, sack_blocks) << "round " << round;

    std::vector<MptcpOption> expected_mptcp;
    for (size_t i = 0; i < added.size(); ++i) {
      if (const auto* m = std::get_if<MptcpOption>(&added[i])) {
        if (!omitted[i]) expected_mptcp.push_back(*m);
        continue;
      }
      const TcpOption& t = std::get<TcpOption>(added[i]);
      if (const auto* mss = std::get_if<MssOption>(&t)) {
        EXPECT_EQ(parsed->mss, omitted[i] ? std::nullopt
                                          : std::optional<uint16_t>(mss->mss));
      } else if (const auto* ws = std::get_if<WindowScaleOption>(&t)) {
        EXPECT_EQ(
            parsed->window_scale,
            omitted[i] ? std::nullopt : std::optional<uint8_t>(ws->shift));
      } else if (std::holds_alternative<SackPermittedOption>(t)) {
        EXPECT_EQ(parsed->sack_permitted, !omitted[i]);
      } else if (const auto* ts = std::get_if<TimestampsOption>(&t)) {
        EXPECT_EQ(
            parsed->timestamps,
            omitted[i] ? std::nullopt : std::optional<TimestampsOption>(*ts));
      } else if (const auto* sack = std::get_if<SackOption>(&t)) {
        const size_t count = omitted[i] ? 0 : layout.sack_blocks_written;
        ASSERT_EQ(parsed->sack_block_count, count) << "round " << round;
        for (size_t b = 0; b < count; ++b) {
          EXPECT_EQ(parsed->sack_blocks[b], sack->blocks[b]);
        }
      } else if (std::holds_alternative<FastOpenOption>(t)) {
        EXPECT_EQ(parsed->fastopen_cookie.has_value(), !omitted[i]);
        if (!omitted[i] && parsed->fastopen_cookie.has_value()) {
          EXPECT_EQ(std::vector<uint8_t>(parsed->fastopen_cookie->begin(),
                                         parsed->fastopen_cookie->end()),
                    cookie);
        }
      }
    }
    // Options that were never added are absent too.
    if (!have_kind[0]) {
      EXPECT_FALSE(parsed->mss.has_value());
    }
    if (!have_kind[1]) {
      EXPECT_FALSE(parsed->window_scale.has_value());
    }
    if (!have_kind[2]) {
      EXPECT_FALSE(parsed->sack_permitted);
    }
    if (!have_kind[3]) {
      EXPECT_FALSE(parsed->timestamps.has_value());
    }
    if (!have_kind[4]) {
      EXPECT_EQ(parsed->sack_block_count, 0);
    }
    if (!have_kind[5]) {
      EXPECT_FALSE(parsed->fastopen_cookie.has_value());
    }

    // MPTCP options are laid out by priority, not in the order added; compare
    // them by value as multisets. Parsed MP_EXPERIMENTAL payloads point into
    // layout.bytes, which outlives the comparison; REMOVE_ADDR compares only
    // its `count` IDs, and MP_EXPERIMENTAL compares payload contents.
    std::vector<MptcpOption> written;
    for (auto bytes : parsed->mptcp_options()) {
      auto back = ParseMptcpOption(bytes);
      ASSERT_TRUE(back.ok()) << back.status();
      written.push_back(*back);
    }
    ASSERT_EQ(written.size(), expected_mptcp.size()) << "round " << round;
    for (const MptcpOption& want : expected_mptcp) {
      auto it = std::find(written.begin(), written.end(), want);
      ASSERT_NE(it, written.end())
          << "round " << round << ": " << Describe(want) << " not written back";
      written.erase(it);
    }
  }
}

}  // namespace
}  // namespace plait::wire
