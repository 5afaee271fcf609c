#include "cli/args.h"

#include <sstream>

#include "cli/app.h"
#include "cli/exit_codes.h"
#include "cli/usage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::cli {
namespace {

using ::testing::HasSubstr;

Invocation Parse(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args);
  EXPECT_EQ(parsed.error, "") << "for " << ::testing::PrintToString(args);
  return parsed.invocation;
}

std::string ParseError(const std::vector<std::string>& args) {
  return ParseArgs(args).error;
}

TEST(ParseArgsTest, SimpleCommands) {
  EXPECT_EQ(Parse({"status"}).command, CommandKind::kStatus);
  EXPECT_EQ(Parse({"conns"}).command, CommandKind::kConns);
  EXPECT_EQ(Parse({"policy", "get"}).command, CommandKind::kPolicyGet);
}

TEST(ParseArgsTest, ConnectionCommands) {
  Invocation show = Parse({"conn", "show", "7"});
  EXPECT_EQ(show.command, CommandKind::kConnShow);
  EXPECT_EQ(show.connection_id, 7u);

  Invocation close = Parse({"conn", "close", "18446744073709551615", "--fast"});
  EXPECT_EQ(close.command, CommandKind::kConnClose);
  EXPECT_EQ(close.connection_id, UINT64_MAX);
  EXPECT_TRUE(close.fast);

  Invocation sched = Parse({"sched", "set", "7", "redundant"});
  EXPECT_EQ(sched.command, CommandKind::kSchedSet);
  EXPECT_EQ(sched.name, "redundant");

  Invocation cc = Parse({"cc", "set", "7", "olia"});
  EXPECT_EQ(cc.command, CommandKind::kCcSet);
  EXPECT_EQ(cc.name, "olia");
}

TEST(ParseArgsTest, SubflowCommands) {
  Invocation add = Parse(
      {"subflow", "add", "7", "10.0.2.1", "--remote-id", "2", "--backup"});
  EXPECT_EQ(add.command, CommandKind::kSubflowAdd);
  EXPECT_EQ(add.connection_id, 7u);
  EXPECT_EQ(add.address, "10.0.2.1");
  EXPECT_EQ(add.remote_address_id, 2u);
  EXPECT_TRUE(add.backup);

  Invocation rm = Parse({"subflow", "rm", "7", "1", "--reset"});
  EXPECT_EQ(rm.command, CommandKind::kSubflowRm);
  EXPECT_EQ(rm.subflow_id, 1u);
  EXPECT_TRUE(rm.reset);

  EXPECT_TRUE(Parse({"subflow", "prio", "7", "1", "backup"}).backup);
  EXPECT_FALSE(Parse({"subflow", "prio", "7", "1", "regular"}).backup);
}

TEST(ParseArgsTest, AddressAndPolicyCommands) {
  Invocation announce = Parse({"addr", "announce", "7", "10.0.3.1"});
  EXPECT_EQ(announce.command, CommandKind::kAddrAnnounce);
  EXPECT_EQ(announce.address, "10.0.3.1");
  EXPECT_EQ(Parse({"addr", "withdraw", "7", "10.0.3.1"}).command,
            CommandKind::kAddrWithdraw);

  Invocation set = Parse({"policy", "set", "p.txtpb", "--dry-run"});
  EXPECT_EQ(set.command, CommandKind::kPolicySet);
  EXPECT_EQ(set.file, "p.txtpb");
  EXPECT_TRUE(set.dry_run);
  EXPECT_EQ(Parse({"policy", "validate", "p.json"}).file, "p.json");
}

TEST(ParseArgsTest, EventsFilters) {
  Invocation events =
      Parse({"events", "--type", "subflow_closed", "--type",
             "EVENT_TYPE_FALLBACK", "--type=policy-applied", "--conn", "7"});
  EXPECT_EQ(events.command, CommandKind::kEvents);
  EXPECT_THAT(events.event_types,
              ::testing::ElementsAre(plait::v1::EVENT_TYPE_SUBFLOW_CLOSED,
                                     plait::v1::EVENT_TYPE_FALLBACK,
                                     plait::v1::EVENT_TYPE_POLICY_APPLIED));
  EXPECT_EQ(events.connection_id, 7u);
}

TEST(ParseArgsTest, GlobalFlagsGoAnywhere) {
  Invocation in =
      Parse({"--api", "unix:/tmp/s", "conns", "--json", "--timeout=2.5",
             "--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key", "k.pem",
             "--tls-server-name", "plaitd.example"});
  EXPECT_EQ(in.command, CommandKind::kConns);
  EXPECT_EQ(in.global.api, "unix:/tmp/s");
  EXPECT_TRUE(in.global.json);
  EXPECT_EQ(in.global.timeout_seconds, 2.5);
  EXPECT_EQ(in.global.tls.ca_file, "ca.pem");
  EXPECT_EQ(in.global.tls.cert_file, "c.pem");
  EXPECT_EQ(in.global.tls.key_file, "k.pem");
  EXPECT_EQ(in.global.tls.server_name, "plaitd.example");
  EXPECT_TRUE(in.global.tls.enabled());
  EXPECT_FALSE(Parse({"status"}).global.tls.enabled());
  EXPECT_EQ(Parse({"status"}).global.api, "");
  EXPECT_EQ(Parse({"status"}).global.timeout_seconds, 5);
}

TEST(ParseArgsTest, HelpInAnyForm) {
  EXPECT_EQ(Parse({"--help"}).command, CommandKind::kHelp);
  EXPECT_EQ(Parse({"-h"}).command, CommandKind::kHelp);
  EXPECT_EQ(Parse({"help"}).command, CommandKind::kHelp);
  EXPECT_EQ(Parse({"conns", "--help"}).command, CommandKind::kHelp);
}

TEST(ParseArgsTest, Errors) {
  EXPECT_EQ(ParseError({}), "no command given");
  EXPECT_EQ(ParseError({"frobnicate"}), "unknown command 'frobnicate'");
  EXPECT_EQ(ParseError({"policy"}),
            "'policy' needs one of: get, set, validate");
  EXPECT_EQ(ParseError({"conn", "kill", "7"}),
            "unknown command 'conn kill' ('conn' takes: show, close)");
  EXPECT_EQ(ParseError({"status", "--verbose"}), "unknown flag '--verbose'");
  EXPECT_EQ(ParseError({"status", "-v"}), "unknown flag '-v'");
  EXPECT_EQ(ParseError({"conn", "show"}), "'conn show' needs ID");
  EXPECT_EQ(ParseError({"conn", "show", "7", "8"}), "unexpected argument '8'");
  EXPECT_EQ(ParseError({"conn", "show", "seven"}),
            "ID must be a connection id (a number), not 'seven'");
  EXPECT_EQ(ParseError({"conn", "show", "-1"}), "unknown flag '-1'");
  EXPECT_EQ(ParseError({"conn", "show", "18446744073709551616"}),
            "ID must be a connection id (a number), not "
            "'18446744073709551616'");
  EXPECT_EQ(ParseError({"subflow", "rm", "7", "4294967296"}),
            "SUBFLOW_ID must be a subflow id (a number), not '4294967296'");
  EXPECT_EQ(ParseError({"subflow", "prio", "7", "1", "high"}),
            "expected 'backup' or 'regular', not 'high'");
  EXPECT_EQ(ParseError({"status", "--dry-run"}),
            "--dry-run does not apply to 'status'");
  EXPECT_EQ(ParseError({"conns", "--api"}), "--api needs a value");
  EXPECT_EQ(ParseError({"conns", "--json=yes"}), "--json takes no value");
  EXPECT_EQ(ParseError({"conns", "--timeout", "0"}),
            "--timeout must be a positive number of seconds, not '0'");
  EXPECT_EQ(ParseError({"conns", "--tls-cert", "c.pem"}),
            "--tls-cert and --tls-key go together (mTLS)");
  EXPECT_THAT(ParseError({"events", "--type", "bogus"}),
              HasSubstr("unknown event type 'bogus' (known: "
                        "connection_created, "));
}

TEST(ParseArgsTest, ErrorsAboutOneCommandCarryItsSynopsis) {
  EXPECT_EQ(ParseArgs({"subflow", "add", "7"}).synopsis,
            "plaitctl subflow add ID LOCAL_ADDR [--remote-id N] [--backup]");
  EXPECT_EQ(ParseArgs({"frobnicate"}).synopsis, "");
}

TEST(ParseArgsTest, DoubleDashEndsFlags) {
  Invocation in = Parse({"policy", "validate", "--", "--odd-name.json"});
  EXPECT_EQ(in.file, "--odd-name.json");
}

TEST(ApiAddressTest, FlagThenEnvironmentThenDefault) {
  EXPECT_EQ(ResolveApiAddress("unix:/a", "unix:/b", "unix:/c"), "unix:/a");
  EXPECT_EQ(ResolveApiAddress("", "unix:/b", "unix:/c"), "unix:/b");
  EXPECT_EQ(ResolveApiAddress("", "", "unix:/c"), "unix:/c");
  EXPECT_EQ(ResolveApiAddress("", nullptr, "unix:/c"), "unix:/c");
}

TEST(ApiAddressTest, AcceptsTheThreeForms) {
  EXPECT_TRUE(ValidateApiAddress("unix:/run/plait/plaitd.sock").ok());
  EXPECT_TRUE(ValidateApiAddress("localhost:7443").ok());
  EXPECT_TRUE(ValidateApiAddress("10.0.0.5:7443").ok());
  EXPECT_TRUE(ValidateApiAddress("[2001:db8::5]:7443").ok());
  EXPECT_FALSE(ValidateApiAddress("unix:").ok());
  EXPECT_FALSE(ValidateApiAddress("localhost").ok());
  EXPECT_FALSE(ValidateApiAddress("localhost:http").ok());
  EXPECT_FALSE(ValidateApiAddress("localhost:70000").ok());
  EXPECT_FALSE(ValidateApiAddress(":7443").ok());
  EXPECT_FALSE(ValidateApiAddress("2001:db8::5:7443").ok());
  EXPECT_FALSE(ValidateApiAddress("[]:7443").ok());
}

// The whole tool, for what needs no daemon: usage errors exit 2 with the
// reason and a hint on stderr, nothing on stdout.
struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome RunTool(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const Environment environment{.plaitctl_api = nullptr,
                                .default_api = "unix:/nonexistent/s.sock"};
  const int status = RunPlaitctl(args, environment, out, err);
  return {status, out.str(), err.str()};
}

TEST(RunPlaitctlTest, UsageErrorsExit2WithAHint) {
  Outcome run = RunTool({"frobnicate"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "plaitctl: unknown command 'frobnicate'\n"
            "Run 'plaitctl --help' for every command and flag.\n");

  run = RunTool({"subflow", "add", "7"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.err,
            "plaitctl: 'subflow add' needs LOCAL_ADDR\n"
            "usage: plaitctl subflow add ID LOCAL_ADDR [--remote-id N] "
            "[--backup]\n"
            "Run 'plaitctl --help' for every command and flag.\n");

  EXPECT_EQ(RunTool({}).status, kExitUsage);
}

TEST(RunPlaitctlTest, BadApiAddressIsAUsageError) {
  Outcome run = RunTool({"--api", "::1:7443", "status"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("--api: '::1:7443': write an IPv6 address "
                                 "as [V6]:PORT"));
}

TEST(RunPlaitctlTest, UnreadableFilesAreUsageErrors) {
  Outcome run = RunTool({"policy", "set", "/nonexistent/p.txtpb"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.err,
            "plaitctl: cannot read /nonexistent/p.txtpb: No such file or "
            "directory\n");

  run = RunTool({"--tls-ca", "/nonexistent/ca.pem", "status"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("--tls-ca: cannot read /nonexistent/ca.pem"));
}

TEST(RunPlaitctlTest, HelpListsEveryCommandWithAnExample) {
  Outcome run = RunTool({"--help"});
  EXPECT_EQ(run.status, kExitOk);
  EXPECT_EQ(run.err, "");
  for (const CommandSpec& spec : CommandSpecs()) {
    EXPECT_THAT(run.out, HasSubstr(Synopsis(spec).substr(9) + "\n      " +
                                   spec.description + "\n"));
    if (spec.kind != CommandKind::kHelp) {
      EXPECT_THAT(run.out, HasSubstr("  " + spec.example + "\n"));
    }
  }
  EXPECT_EQ(RunTool({"help"}).out, run.out);
}

TEST(RunPlaitctlTest, HelpFitsEightyColumns) {
  std::istringstream lines(RunTool({"help"}).out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 80u) << line;
  }
}

}  // namespace
}  // namespace plait::cli
