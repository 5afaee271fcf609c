#include "dataplane/wire/option_writer.h"

#include <algorithm>
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

// Any mix of options gives a layout that the parsers read back as exactly the
// options that were not omitted.
TEST(OptionWriterTest, RandomMixesParseBackExactly) {
  std::mt19937 rng(20261129);
  const std::vector<uint8_t> cookie = {1, 2, 3, 4, 5, 6};
  for (int round = 0; round < 2000; ++round) {
    OptionWriter writer;
    std::vector<OptionWriter::Option> added;
    const int n = 1 + rng() % 6;
    bool have_kind[16] = {};
    for (int k = 0; k < n; ++k) {
      const int pick = rng() % 12;
      if (have_kind[pick]) continue;  // the parser keeps one of each TCP kind
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
        case 8:
          option = MptcpOption{*RemoveAddr::Of({1, 2, 3})};
          break;
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
    std::vector<MptcpSubtype> expected_mptcp;
    for (size_t i = 0; i < added.size(); ++i) {
      bool omitted = false;
      for (uint8_t o : layout.omitted_indices()) omitted |= o == i;
      if (omitted) continue;
      if (const auto* m = std::get_if<MptcpOption>(&added[i])) {
        expected_mptcp.push_back(SubtypeOf(*m));
        continue;
      }
      const TcpOption& t = std::get<TcpOption>(added[i]);
      if (const auto* mss = std::get_if<MssOption>(&t)) {
        EXPECT_EQ(parsed->mss, mss->mss);
      } else if (const auto* ws = std::get_if<WindowScaleOption>(&t)) {
        EXPECT_EQ(parsed->window_scale, ws->shift);
      } else if (std::holds_alternative<SackPermittedOption>(t)) {
        EXPECT_TRUE(parsed->sack_permitted);
      } else if (const auto* ts = std::get_if<TimestampsOption>(&t)) {
        EXPECT_EQ(parsed->timestamps, *ts);
      } else if (std::holds_alternative<SackOption>(t)) {
        EXPECT_EQ(parsed->sack_block_count, layout.sack_blocks_written);
      } else if (std::holds_alternative<FastOpenOption>(t)) {
        ASSERT_TRUE(parsed->fastopen_cookie.has_value());
        EXPECT_EQ(parsed->fastopen_cookie->size(), cookie.size());
      }
    }
    // MPTCP options are laid out by priority, not in the order added.
    std::vector<MptcpSubtype> written;
    for (auto bytes : parsed->mptcp_options()) {
      auto back = ParseMptcpOption(bytes);
      ASSERT_TRUE(back.ok()) << back.status();
      written.push_back(SubtypeOf(*back));
    }
    std::sort(expected_mptcp.begin(), expected_mptcp.end());
    std::sort(written.begin(), written.end());
    EXPECT_EQ(written, expected_mptcp) << "round " << round;
  }
}

}  // namespace
}  // namespace plait::wire
