#include "dataplane/wire/tcp_options.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/test_util.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

using testing_util::FromHex;

std::vector<uint8_t> ToVector(absl::Span<const uint8_t> s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<uint8_t> Encode(const TcpOption& option) {
  std::vector<uint8_t> out(EncodedLength(option));
  ByteWriter w(absl::MakeSpan(out));
  WriteTcpOption(option, w);
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(w.written(), out.size());
  return out;
}

std::vector<std::string> Problems(const TcpOptions& o) {
  std::vector<std::string> out;
  for (const OptionProblem& p : o.problem_list()) {
    out.push_back(DescribeOptionProblem(p));
  }
  return out;
}

// A Linux SYN: MSS 1460, SACK-permitted, TS, NOP, WS 7.
constexpr absl::string_view kLinuxSynOptions =
    "02 04 05 b4 04 02 08 0a 26 5f eb da 00 00 00 00 01 03 03 07";

TEST(ParseTcpOptionsTest, LinuxSyn) {
  const std::vector<uint8_t> bytes = FromHex(kLinuxSynOptions);
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mss, 1460);
  EXPECT_TRUE(o->sack_permitted);
  ASSERT_TRUE(o->timestamps.has_value());
  EXPECT_EQ(o->timestamps->tsval, 643820506u);
  EXPECT_EQ(o->timestamps->tsecr, 0u);
  EXPECT_EQ(o->window_scale, 7);
  EXPECT_EQ(o->sack_block_count, 0);
  EXPECT_FALSE(o->fastopen_cookie.has_value());
  EXPECT_EQ(o->mptcp_count, 0);
  EXPECT_EQ(o->unknown_count, 0);
  EXPECT_EQ(o->problem_count, 0);
  EXPECT_EQ(o->problems_dropped, 0);
}

TEST(ParseTcpOptionsTest, LinuxMptcpSyn) {
  // From testdata/kernel_mptcp.pcap frame 3: ... WS 10, MP_CAPABLE v1.
  const std::vector<uint8_t> bytes = FromHex(
      "02 04 05 b4 04 02 08 0a 26 5f eb da 00 00 00 00 01 03 03 0a 1e 04 01 "
      "01");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->window_scale, 10);
  ASSERT_EQ(o->mptcp_count, 1);
  EXPECT_EQ(o->mptcp[0].data(), bytes.data() + 20);  // zero-copy
  EXPECT_EQ(ToVector(o->mptcp[0]), FromHex("1e 04 01 01"));
}

TEST(ParseTcpOptionsTest, LinuxDataSegmentWithDss) {
  // From testdata/kernel_mptcp.pcap frame 65: NOP NOP TS, DSS (26 bytes).
  const std::vector<uint8_t> bytes = FromHex(
      "01 01 08 0a 6d 20 11 e7 26 5f ef 30 1e 1a 20 0f 93 e5 80 74 ad 26 fe "
      "47 8d da 0c 5a da f0 dc 46 00 00 00 01 00 09 01 01");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->timestamps, (TimestampsOption{0x6d2011e7, 0x265fef30}));
  ASSERT_EQ(o->mptcp_count, 1);
  EXPECT_EQ(o->mptcp[0].size(), 26u);
  EXPECT_EQ(o->mptcp[0][0], kTcpOptionMptcp);
  EXPECT_EQ(o->mptcp[0][1], 26);
  EXPECT_EQ(o->problem_count, 0);
}

TEST(ParseTcpOptionsTest, Empty) {
  absl::StatusOr<TcpOptions> o = ParseTcpOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->mss.has_value());
  EXPECT_FALSE(o->window_scale.has_value());
  EXPECT_FALSE(o->sack_permitted);
  EXPECT_FALSE(o->timestamps.has_value());
}

TEST(ParseTcpOptionsTest, SackBlocks) {
  const std::vector<uint8_t> bytes = FromHex(
      "01 01 05 22 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 "
      "05 00 00 00 06 ff ff ff ff 00 00 00 10");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->sack_block_count, 4);
  EXPECT_EQ(o->sack()[0], (SackBlock{1, 2}));
  EXPECT_EQ(o->sack()[1], (SackBlock{3, 4}));
  EXPECT_EQ(o->sack()[2], (SackBlock{5, 6}));
  EXPECT_EQ(o->sack()[3], (SackBlock{0xffffffff, 0x10}));
}

TEST(ParseTcpOptionsTest, FastOpen) {
  const std::vector<uint8_t> request = FromHex("22 02 01 01");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(request);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->fastopen_cookie.has_value());
  EXPECT_TRUE(o->fastopen_cookie->empty());

  const std::vector<uint8_t> cookie = FromHex("22 0a 01 02 03 04 05 06 07 08");
  o = ParseTcpOptions(cookie);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->fastopen_cookie.has_value());
  EXPECT_EQ(o->fastopen_cookie->data(), cookie.data() + 2);
  EXPECT_EQ(ToVector(*o->fastopen_cookie), FromHex("01 02 03 04 05 06 07 08"));
}

TEST(ParseTcpOptionsTest, UnknownKindsAreRecordedAndSkipped) {
  const std::vector<uint8_t> bytes =
      FromHex("fd 04 aa bb 02 04 05 dc 45 02 ac 03 00");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mss, 1500);
  ASSERT_EQ(o->unknown_count, 3);
  EXPECT_EQ(ToVector(o->unknown_options()[0]), FromHex("fd 04 aa bb"));
  EXPECT_EQ(ToVector(o->unknown_options()[1]), FromHex("45 02"));
  EXPECT_EQ(ToVector(o->unknown_options()[2]), FromHex("ac 03 00"));
  EXPECT_EQ(o->problem_count, 0);
}

TEST(ParseTcpOptionsTest, EolEndsParsing) {
  // Garbage after EOL (even a structurally broken option) is padding.
  const std::vector<uint8_t> bytes = FromHex("02 04 05 b4 00 02 01 ff");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mss, 1460);
  EXPECT_EQ(o->unknown_count, 0);
}

TEST(ParseTcpOptionsTest, StructuralErrors) {
  EXPECT_EQ(ParseTcpOptions(FromHex("01 01 02")).status().message(),
            "TCP option kind 2 (MSS) at offset 2: length byte missing at the "
            "end of the option space");
  EXPECT_EQ(ParseTcpOptions(FromHex("08 01 00 00")).status().message(),
            "TCP option kind 8 (timestamps) at offset 0: length 1 is below "
            "the minimum 2");
  EXPECT_EQ(ParseTcpOptions(FromHex("01 1e 00 00")).status().message(),
            "TCP option kind 30 (MPTCP) at offset 1: length 0 is below the "
            "minimum 2");
  const absl::Status s =
      ParseTcpOptions(FromHex("01 01 08 0a 00 00 00 01 00 00 00")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "TCP option kind 8 (timestamps) at offset 2: length 10 runs past "
            "the end of the 11-byte option space (9 bytes left)");
  const std::vector<uint8_t> too_long(41, 1);
  EXPECT_EQ(ParseTcpOptions(too_long).status().message(),
            "TCP options: 41 bytes exceed the maximum 40");
  const std::vector<uint8_t> forty_nops(40, 1);
  EXPECT_TRUE(ParseTcpOptions(forty_nops).ok());
}

// For each known kind, every length from 2 to 40 (the whole option space)
// either parses the option or records exactly one length problem; none is a
// structural error because the option space holds the whole option.
TEST(ParseTcpOptionsTest, EveryLengthOfEveryKnownKind) {
  struct Case {
    uint8_t kind;
    std::vector<int> valid;
    const char* expected;
  };
  const Case cases[] = {
      {kTcpOptionMss, {4}, "expected 4"},
      {kTcpOptionWindowScale, {3}, "expected 3"},
      {kTcpOptionSackPermitted, {2}, "expected 2"},
      {kTcpOptionSack, {10, 18, 26, 34}, "expected 10, 18, 26 or 34"},
      {kTcpOptionTimestamps, {10}, "expected 10"},
      {kTcpOptionFastOpen,
       {2, 6, 8, 10, 12, 14, 16, 18},
       "expected 2 or an even 6..18"},
  };
  for (const Case& c : cases) {
    for (int length = 2; length <= 40; ++length) {
      std::vector<uint8_t> bytes(40, 0);
      bytes[0] = c.kind;
      bytes[1] = static_cast<uint8_t>(length);
      absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
      ASSERT_TRUE(o.ok()) << int(c.kind) << " " << length << o.status();
      const bool valid =
          std::find(c.valid.begin(), c.valid.end(), length) != c.valid.end();
      if (valid) {
        EXPECT_EQ(o->problem_count, 0) << int(c.kind) << " " << length;
      } else {
        ASSERT_EQ(o->problem_count, 1) << int(c.kind) << " " << length;
        EXPECT_EQ(o->problems[0].kind, c.kind);
        EXPECT_EQ(o->problems[0].offset, 0);
        EXPECT_EQ(o->problems[0].length, length);
        EXPECT_STREQ(o->problems[0].what, c.expected);
      }
      const bool parsed = o->mss.has_value() || o->window_scale.has_value() ||
                          o->sack_permitted || o->sack_block_count > 0 ||
                          o->timestamps.has_value() ||
                          o->fastopen_cookie.has_value();
      EXPECT_EQ(parsed, valid) << int(c.kind) << " " << length;
      if (c.kind == kTcpOptionSack && valid) {
        EXPECT_EQ(o->sack_block_count, (length - 2) / 8);
      }
      if (c.kind == kTcpOptionFastOpen && valid) {
        EXPECT_EQ(o->fastopen_cookie->size(), size_t(length - 2));
      }
    }
  }
}

TEST(ParseTcpOptionsTest, WrongLengthIsSkippedAndParsingContinues) {
  // MSS with length 3, then a valid window scale.
  const std::vector<uint8_t> bytes = FromHex("02 03 05 03 03 07");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->mss.has_value());
  EXPECT_EQ(o->window_scale, 7);
  EXPECT_EQ(Problems(*o), std::vector<std::string>{
                              "TCP option kind 2 (MSS) at offset 0: length 3, "
                              "expected 4"});
}

TEST(ParseTcpOptionsTest, DuplicatesKeepTheFirst) {
  const std::vector<uint8_t> bytes = FromHex(
      "02 04 05 b4 02 04 00 10 03 03 02 03 03 05 04 02 04 02 08 0a 00 00 00 "
      "01 00 00 00 02 08 0a 00 00 00 03 00 00 00 04");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mss, 1460);
  EXPECT_EQ(o->window_scale, 2);
  EXPECT_TRUE(o->sack_permitted);
  EXPECT_EQ(o->timestamps, (TimestampsOption{1, 2}));
  EXPECT_EQ(Problems(*o),
            (std::vector<std::string>{
                "TCP option kind 2 (MSS) at offset 4: length 4, duplicate "
                "ignored",
                "TCP option kind 3 (window scale) at offset 11: length 3, "
                "duplicate ignored",
                "TCP option kind 4 (SACK-permitted) at offset 16: length 2, "
                "duplicate ignored",
                "TCP option kind 8 (timestamps) at offset 28: length 10, "
                "duplicate ignored"}));
}

TEST(ParseTcpOptionsTest, DuplicateSackAndFastOpen) {
  const std::vector<uint8_t> bytes = FromHex(
      "05 0a 00 00 00 01 00 00 00 02 05 0a 00 00 00 03 00 00 00 04 22 02 22 "
      "06 01 02 03 04");
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->sack_block_count, 1);
  EXPECT_EQ(o->sack_blocks[0], (SackBlock{1, 2}));
  ASSERT_TRUE(o->fastopen_cookie.has_value());
  EXPECT_TRUE(o->fastopen_cookie->empty());
  ASSERT_EQ(o->problem_count, 2);
  EXPECT_EQ(o->problems[0].kind, kTcpOptionSack);
  EXPECT_EQ(o->problems[0].offset, 10);
  EXPECT_EQ(o->problems[1].kind, kTcpOptionFastOpen);
  EXPECT_EQ(o->problems[1].offset, 22);
}

TEST(ParseTcpOptionsTest, WindowScaleAbove14IsClamped) {
  for (int shift = 0; shift <= 255; ++shift) {
    const std::vector<uint8_t> bytes = {3, 3, static_cast<uint8_t>(shift)};
    absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->window_scale, shift > 14 ? 14 : shift);
    EXPECT_EQ(o->problem_count, shift > 14 ? 1 : 0);
  }
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(FromHex("01 03 03 0f"));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Problems(*o), std::vector<std::string>{
                              "TCP option kind 3 (window scale) at offset 1: "
                              "length 3, shift above 14 clamped to 14"});
}

TEST(ParseTcpOptionsTest, MoreThanEightMptcpOptions) {
  // Ten 4-byte MPTCP options fill the 40 bytes.
  std::vector<uint8_t> bytes;
  for (uint8_t i = 0; i < 10; ++i) {
    bytes.insert(bytes.end(), {kTcpOptionMptcp, 4, 0x50, i});
  }
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->mptcp_count, 8);
  for (uint8_t i = 0; i < 8; ++i) {
    EXPECT_EQ(ToVector(o->mptcp_options()[i]),
              (std::vector<uint8_t>{kTcpOptionMptcp, 4, 0x50, i}));
  }
  EXPECT_EQ(Problems(*o),
            (std::vector<std::string>{
                "TCP option kind 30 (MPTCP) at offset 32: length 4, more than "
                "8 MPTCP options, ignored",
                "TCP option kind 30 (MPTCP) at offset 36: length 4, more than "
                "8 MPTCP options, ignored"}));
}

TEST(ParseTcpOptionsTest, ProblemsBeyondTheListAreCounted) {
  // Twenty 2-byte MSS options with the wrong length.
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 20; ++i) bytes.insert(bytes.end(), {2, 2});
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->problem_count, TcpOptions::kMaxProblems);
  EXPECT_EQ(o->problems_dropped, 12);
  EXPECT_EQ(o->problems[7].offset, 14);
}

TEST(ParseTcpOptionsTest, TwentyUnknownOptionsFit) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 20; ++i) bytes.insert(bytes.end(), {99, 2});
  absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->unknown_count, 20);
  EXPECT_EQ(o->unknown[19].data(), bytes.data() + 38);
}

TEST(ParseTcpOptionsTest, EveryPrefixOfAFullOptionSpace) {
  // MSS, SACK-permitted, TS, NOP, WS, then MP_CAPABLE-like 12 bytes = 32
  // bytes, then a 4-byte SACK-less tail of NOPs and EOL.
  const std::vector<uint8_t> bytes = FromHex(
      "02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 02 01 03 03 07 1e 0c 01 "
      "81 00 01 02 03 04 05 06 07 01 01 01 00");
  // Option boundaries: a prefix that ends exactly on one parses cleanly;
  // one that ends inside an option is a structural error.
  const std::vector<size_t> boundaries = {0,  4,  6,  16, 17, 20,
                                          32, 33, 34, 35, 36};
  for (size_t n = 0; n <= bytes.size(); ++n) {
    absl::StatusOr<TcpOptions> o =
        ParseTcpOptions(absl::MakeConstSpan(bytes).subspan(0, n));
    const bool boundary =
        std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    ASSERT_EQ(o.ok(), boundary) << n << " " << o.status();
    if (o.ok()) {
      EXPECT_EQ(o->problem_count, 0) << n;
    }
  }
}

TEST(ParseTcpOptionsTest, AllTwoByteInputsAreSafe) {
  // Exhaustive over two bytes followed by filler: never crashes; every span
  // stays inside the buffer.
  std::vector<uint8_t> bytes(6, 0xee);
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      bytes[0] = static_cast<uint8_t>(a);
      bytes[1] = static_cast<uint8_t>(b);
      absl::StatusOr<TcpOptions> o = ParseTcpOptions(bytes);
      if (!o.ok()) continue;
      for (absl::Span<const uint8_t> m : o->mptcp_options()) {
        EXPECT_GE(m.data(), bytes.data());
        EXPECT_LE(m.data() + m.size(), bytes.data() + bytes.size());
      }
      for (absl::Span<const uint8_t> u : o->unknown_options()) {
        EXPECT_LE(u.data() + u.size(), bytes.data() + bytes.size());
      }
    }
  }
}

TEST(TcpOptionWriteTest, KnownBytes) {
  EXPECT_EQ(Encode(MssOption{1460}), FromHex("02 04 05 b4"));
  EXPECT_EQ(Encode(WindowScaleOption{7}), FromHex("03 03 07"));
  EXPECT_EQ(Encode(SackPermittedOption{}), FromHex("04 02"));
  EXPECT_EQ(Encode(TimestampsOption{0x265febda, 0}),
            FromHex("08 0a 26 5f eb da 00 00 00 00"));
  SackOption sack;
  sack.blocks[0] = {1, 2};
  sack.blocks[1] = {0xfffffff0, 0x10};
  sack.count = 2;
  EXPECT_EQ(Encode(sack), FromHex("05 12 00 00 00 01 00 00 00 02 ff ff ff f0 "
                                  "00 00 00 10"));
  EXPECT_EQ(Encode(FastOpenOption{}), FromHex("22 02"));
  const std::vector<uint8_t> cookie = FromHex("a1 a2 a3 a4");
  EXPECT_EQ(Encode(FastOpenOption{cookie}), FromHex("22 06 a1 a2 a3 a4"));
  const std::vector<uint8_t> raw = FromHex("1e 04 01 01");
  EXPECT_EQ(Encode(RawOption{raw}), raw);
}

TEST(TcpOptionWriteTest, EncodedLengths) {
  EXPECT_EQ(EncodedLength(MssOption{}), 4u);
  EXPECT_EQ(EncodedLength(WindowScaleOption{}), 3u);
  EXPECT_EQ(EncodedLength(SackPermittedOption{}), 2u);
  EXPECT_EQ(EncodedLength(TimestampsOption{}), 10u);
  SackOption sack;
  for (uint8_t n = 0; n <= 4; ++n) {
    sack.count = n;
    EXPECT_EQ(EncodedLength(sack), 2u + 8u * n);
  }
  sack.count = 9;  // clamped to the 4 blocks the struct holds
  EXPECT_EQ(EncodedLength(sack), 34u);
  const std::vector<uint8_t> cookie(16, 7);
  EXPECT_EQ(EncodedLength(FastOpenOption{cookie}), 18u);
  EXPECT_EQ(EncodedLength(RawOption{cookie}), 16u);
}

// Writes options back to back (with NOP padding, as the option writer would)
// and parses them back.
TEST(TcpOptionWriteTest, RoundTripEveryOption) {
  const std::vector<uint8_t> cookie = FromHex("01 02 03 04 05 06 07 08 09 0a");
  const std::vector<uint8_t> mptcp = FromHex("1e 06 20 01 aa bb");
  SackOption sack;
  sack.blocks[0] = {100, 200};
  sack.count = 1;

  const TcpOption first[] = {
      MssOption{8960}, WindowScaleOption{14}, SackPermittedOption{},
      TimestampsOption{0xdeadbeef, 0x01020304}, FastOpenOption{cookie}};
  std::vector<uint8_t> bytes(40);
  ByteWriter w(absl::MakeSpan(bytes));
  for (const TcpOption& opt : first) {
    ASSERT_TRUE(ValidateTcpOption(opt).ok());
    WriteTcpOption(opt, w);
  }
  w.WriteU8(kTcpOptionNop);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w.written(), 4u + 3 + 2 + 10 + 12 + 1);
  absl::StatusOr<TcpOptions> o =
      ParseTcpOptions(absl::MakeConstSpan(bytes).subspan(0, w.written()));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mss, 8960);
  EXPECT_EQ(o->window_scale, 14);
  EXPECT_TRUE(o->sack_permitted);
  EXPECT_EQ(o->timestamps, (TimestampsOption{0xdeadbeef, 0x01020304}));
  ASSERT_TRUE(o->fastopen_cookie.has_value());
  EXPECT_EQ(ToVector(*o->fastopen_cookie), cookie);
  EXPECT_EQ(o->problem_count, 0);

  std::vector<uint8_t> second(40);
  ByteWriter w2(absl::MakeSpan(second));
  SackOption full;
  for (uint32_t i = 0; i < 4; ++i) full.blocks[i] = {i * 1000, i * 1000 + 500};
  full.count = 4;
  WriteTcpOption(RawOption{mptcp}, w2);
  WriteTcpOption(full, w2);
  ASSERT_TRUE(w2.ok());
  ASSERT_EQ(w2.written(), 40u);
  o = ParseTcpOptions(second);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->mptcp_count, 1);
  EXPECT_EQ(ToVector(o->mptcp[0]), mptcp);
  ASSERT_EQ(o->sack_block_count, 4);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(o->sack()[i], full.blocks[i]);

  std::vector<uint8_t> third(10);
  ByteWriter w3(absl::MakeSpan(third));
  WriteTcpOption(sack, w3);
  ASSERT_TRUE(w3.ok());
  o = ParseTcpOptions(third);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->sack_block_count, 1);
  EXPECT_EQ(o->sack()[0], (SackBlock{100, 200}));
}

TEST(TcpOptionWriteTest, NoRoomMarksWriterFailed) {
  uint8_t buf[9];
  ByteWriter w(absl::MakeSpan(buf));
  WriteTcpOption(TimestampsOption{1, 2}, w);
  EXPECT_FALSE(w.ok());
}

TEST(TcpOptionWriteTest, Validate) {
  EXPECT_TRUE(ValidateTcpOption(MssOption{0}).ok());
  EXPECT_TRUE(ValidateTcpOption(WindowScaleOption{14}).ok());
  EXPECT_EQ(ValidateTcpOption(WindowScaleOption{15}).message(),
            "TCP option kind 3 (window scale): shift 15 exceeds 14");
  SackOption sack;
  EXPECT_EQ(ValidateTcpOption(sack).message(),
            "TCP option kind 5 (SACK): 0 blocks, expected 1..4");
  sack.count = 5;
  EXPECT_FALSE(ValidateTcpOption(sack).ok());
  sack.count = 4;
  EXPECT_TRUE(ValidateTcpOption(sack).ok());
  const std::vector<uint8_t> bytes(18, 1);
  for (size_t n = 0; n <= 18; ++n) {
    const bool valid = n == 0 || (n >= 4 && n <= 16 && n % 2 == 0);
    EXPECT_EQ(ValidateTcpOption(
                  FastOpenOption{absl::MakeConstSpan(bytes).subspan(0, n)})
                  .ok(),
              valid)
        << n;
  }
  EXPECT_EQ(ValidateTcpOption(
                FastOpenOption{absl::MakeConstSpan(bytes).subspan(0, 3)})
                .message(),
            "TCP option kind 34 (TCP Fast Open): cookie of 3 bytes, expected "
            "0 or an even 4..16");
  const std::vector<uint8_t> raw = FromHex("1e 05 01 01");
  EXPECT_EQ(ValidateTcpOption(RawOption{raw}).message(),
            "TCP option kind 30 (MPTCP): length byte 5 does not match the 4 "
            "bytes given");
  EXPECT_EQ(ValidateTcpOption(RawOption{absl::MakeConstSpan(raw).subspan(0, 1)})
                .message(),
            "raw TCP option of 1 bytes, expected 2..40");
  const std::vector<uint8_t> good = FromHex("1e 04 01 01");
  EXPECT_TRUE(ValidateTcpOption(RawOption{good}).ok());
}

TEST(TcpOptionNameTest, Names) {
  EXPECT_STREQ(TcpOptionName(0), "EOL");
  EXPECT_STREQ(TcpOptionName(1), "NOP");
  EXPECT_STREQ(TcpOptionName(2), "MSS");
  EXPECT_STREQ(TcpOptionName(30), "MPTCP");
  EXPECT_STREQ(TcpOptionName(34), "TCP Fast Open");
  EXPECT_STREQ(TcpOptionName(77), "unknown");
}

}  // namespace
}  // namespace plait::wire
