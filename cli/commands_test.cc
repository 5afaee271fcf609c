// plaitctl end to end: each command line through RunPlaitctl, over a real
// gRPC connection (a unix socket in TEST_TMPDIR; TCP with mTLS for the TLS
// flags) to a test double of plaitd's DataplaneService that records
// requests and gives canned answers.
#include "cli/commands.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/app.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "cli/table.h"
#include "gmock/gmock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "proto/plait/v1/dataplane.grpc.pb.h"

namespace plait::cli {
namespace {

using plait::v1::Connection;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A stand-in for plaitd's API, for the client's tests only (plaitd's real
// service is tested with plaitd): it records each request as
// "Method{short debug string}" and answers with `error` when set, else
// with the canned message for the method.
class DataplaneServiceTestDouble final
    : public plait::v1::DataplaneService::Service {
 public:
  // Canned answers.
  grpc::Status error = grpc::Status::OK;
  plait::v1::Status status;
  // ListConnections: the page for each page token.
  std::map<std::string, plait::v1::ListConnectionsResponse> pages;
  Connection connection;
  plait::v1::PolicyState policy_state;
  plait::v1::SetPolicyResponse set_policy_response;
  // WatchEvents sends these, then ends with `error` (OK: the stream ends),
  // or waits for the client to cancel when `wait_for_cancel`.
  std::vector<plait::v1::Event> events;
  bool wait_for_cancel = false;
  // How long GetStatus takes to answer (deadline tests).
  std::chrono::milliseconds status_delay{0};

  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

  grpc::Status GetStatus(grpc::ServerContext*,
                         const plait::v1::GetStatusRequest* request,
                         plait::v1::Status* response) override {
    std::this_thread::sleep_for(status_delay);
    return Answer("GetStatus", *request, status, response);
  }
  grpc::Status GetPolicy(grpc::ServerContext*,
                         const plait::v1::GetPolicyRequest* request,
                         plait::v1::PolicyState* response) override {
    return Answer("GetPolicy", *request, policy_state, response);
  }
  grpc::Status SetPolicy(grpc::ServerContext*,
                         const plait::v1::SetPolicyRequest* request,
                         plait::v1::SetPolicyResponse* response) override {
    return Answer("SetPolicy", *request, set_policy_response, response);
  }
  grpc::Status ValidatePolicy(
      grpc::ServerContext*, const plait::v1::ValidatePolicyRequest* request,
      plait::v1::ValidatePolicyResponse* response) override {
    return Answer("ValidatePolicy", *request,
                  plait::v1::ValidatePolicyResponse(), response);
  }
  grpc::Status ListConnections(
      grpc::ServerContext*, const plait::v1::ListConnectionsRequest* request,
      plait::v1::ListConnectionsResponse* response) override {
    return Answer("ListConnections", *request, pages[request->page_token()],
                  response);
  }
  grpc::Status GetConnection(grpc::ServerContext*,
                             const plait::v1::GetConnectionRequest* request,
                             Connection* response) override {
    return Answer("GetConnection", *request, connection, response);
  }
  grpc::Status SetScheduler(grpc::ServerContext*,
                            const plait::v1::SetSchedulerRequest* request,
                            Connection* response) override {
    return Answer("SetScheduler", *request, connection, response);
  }
  grpc::Status SetCongestionControl(
      grpc::ServerContext*,
      const plait::v1::SetCongestionControlRequest* request,
      Connection* response) override {
    return Answer("SetCongestionControl", *request, connection, response);
  }
  grpc::Status AddSubflow(grpc::ServerContext*,
                          const plait::v1::AddSubflowRequest* request,
                          Connection* response) override {
    return Answer("AddSubflow", *request, connection, response);
  }
  grpc::Status RemoveSubflow(grpc::ServerContext*,
                             const plait::v1::RemoveSubflowRequest* request,
                             Connection* response) override {
    return Answer("RemoveSubflow", *request, connection, response);
  }
  grpc::Status SetSubflowPriority(
      grpc::ServerContext*, const plait::v1::SetSubflowPriorityRequest* request,
      Connection* response) override {
    return Answer("SetSubflowPriority", *request, connection, response);
  }
  grpc::Status AnnounceAddress(grpc::ServerContext*,
                               const plait::v1::AnnounceAddressRequest* request,
                               Connection* response) override {
    return Answer("AnnounceAddress", *request, connection, response);
  }
  grpc::Status WithdrawAddress(grpc::ServerContext*,
                               const plait::v1::WithdrawAddressRequest* request,
                               Connection* response) override {
    return Answer("WithdrawAddress", *request, connection, response);
  }
  grpc::Status CloseConnection(grpc::ServerContext*,
                               const plait::v1::CloseConnectionRequest* request,
                               Connection* response) override {
    return Answer("CloseConnection", *request, connection, response);
  }
  grpc::Status WatchEvents(
      grpc::ServerContext* context,
      const plait::v1::WatchEventsRequest* request,
      grpc::ServerWriter<plait::v1::Event>* writer) override {
    Record("WatchEvents", *request);
    for (const plait::v1::Event& event : events) writer->Write(event);
    while (wait_for_cancel && !context->IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return error;
  }

 private:
  void Record(const std::string& method,
              const google::protobuf::Message& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(
        absl::StrCat(method, "{", request.ShortDebugString(), "}"));
  }

  template <typename Request, typename Response>
  grpc::Status Answer(const std::string& method, const Request& request,
                      const Response& canned, Response* response) {
    Record(method, request);
    if (!error.ok()) return error;
    *response = canned;
    return grpc::Status::OK;
  }

  std::mutex mutex_;
  std::vector<std::string> calls_;
};

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

// Absolute: the tests change directory to TEST_TMPDIR.
std::string TestdataPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/",
                      std::getenv("TEST_WORKSPACE"), "/cli/testdata/", name);
}

Connection SampleConnection() {
  Connection c;
  c.set_id(7);
  c.set_state(plait::v1::CONNECTION_STATE_ESTABLISHED);
  c.set_local_address("10.0.1.1:40000");
  c.set_remote_address("10.0.1.2:8080");
  c.set_scheduler("redundant");
  c.set_congestion_control("olia");
  c.set_bytes_sent(2048);
  plait::v1::Subflow* s = c.add_subflows();
  s->set_id(0);
  s->set_local_address("10.0.1.1:40000");
  s->set_remote_address("10.0.1.2:8080");
  s->set_state("ESTABLISHED");
  s->set_rtt_seconds(0.01);
  return c;
}

class PlaitctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A relative socket path: TEST_TMPDIR can be longer than a unix
    // socket's 108 bytes.
    ASSERT_EQ(chdir(std::getenv("TEST_TMPDIR")), 0);
    unlink("plaitd.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort(kAddress, grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  void TearDown() override { server_->Shutdown(); }

  // plaitctl --api <the double> ARGS...
  Outcome Plaitctl(std::vector<std::string> args,
                   CallCanceller* canceller = nullptr) {
    args.insert(args.begin(), {"--api", kAddress});
    std::ostringstream out;
    std::ostringstream err;
    const Environment environment{.plaitctl_api = nullptr,
                                  .default_api = "unix:/nonexistent/s.sock"};
    const int status = RunPlaitctl(args, environment, out, err, canceller);
    return {status, out.str(), err.str()};
  }

  static std::string WriteFile(const std::string& name,
                               const std::string& contents) {
    std::ofstream(name) << contents;
    return name;
  }

  static constexpr const char* kAddress = "unix:plaitd.sock";
  DataplaneServiceTestDouble service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(PlaitctlTest, Status) {
  service_.status.set_version("0.3.0");
  service_.status.set_io_mode("tun");
  Outcome run = Plaitctl({"status"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(), ElementsAre("GetStatus{}"));
  EXPECT_EQ(run.out, FormatStatus(service_.status));
  EXPECT_THAT(run.out, HasSubstr("version:            0.3.0\n"));
  EXPECT_EQ(run.err, "");
}

TEST_F(PlaitctlTest, StatusAsJson) {
  service_.status.set_version("0.3.0");
  service_.status.set_open_connections(4);
  service_.status.add_listeners("serve:9000");
  Outcome run = Plaitctl({"status", "--json"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(run.out, R"({"version":"0.3.0","open_connections":"4",)"
                     R"("listeners":["serve:9000"]})"
                     "\n");
}

TEST_F(PlaitctlTest, ConnsReadsEveryPage) {
  service_.pages[""].add_connections()->set_id(7);
  service_.pages[""].set_next_page_token("p2");
  service_.pages["p2"].add_connections()->set_id(8);
  Outcome run = Plaitctl({"conns"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(
      service_.Calls(),
      ElementsAre("ListConnections{}", "ListConnections{page_token: \"p2\"}"));
  EXPECT_EQ(
      run.out,
      "ID  STATE  LOCAL    REMOTE  SCHED  CC  SUBFLOWS  SENT  RECEIVED\n"
      " 7  -            ->         -      -          0   0 B       0 B\n"
      " 8  -            ->         -      -          0   0 B       0 B\n");
}

TEST_F(PlaitctlTest, ConnsAsJsonIsOneObjectWithEveryPage) {
  service_.pages[""].add_connections()->set_id(7);
  service_.pages[""].set_next_page_token("p2");
  service_.pages["p2"].add_connections()->set_id(8);
  Outcome run = Plaitctl({"--json", "conns"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(run.out, R"({"connections":[{"id":"7"},{"id":"8"}]})"
                     "\n");
}

TEST_F(PlaitctlTest, ConnShow) {
  service_.connection = SampleConnection();
  Outcome run = Plaitctl({"conn", "show", "7"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(), ElementsAre("GetConnection{id: 7}"));
  EXPECT_EQ(run.out, FormatConnectionDetail(service_.connection));
  EXPECT_THAT(run.out, HasSubstr("scheduler:          redundant\n"));
}

TEST_F(PlaitctlTest, PerConnectionCommandsSendTheirRequest) {
  service_.connection = SampleConnection();
  const struct {
    std::vector<std::string> args;
    std::string call;
  } cases[] = {
      {{"sched", "set", "7", "redundant"},
       "SetScheduler{id: 7 name: \"redundant\"}"},
      {{"cc", "set", "7", "olia"},
       "SetCongestionControl{id: 7 name: \"olia\"}"},
      {{"subflow", "add", "7", "10.0.2.1"},
       "AddSubflow{id: 7 local_address: \"10.0.2.1\"}"},
      {{"subflow", "add", "7", "10.0.2.1", "--remote-id", "2", "--backup"},
       "AddSubflow{id: 7 local_address: \"10.0.2.1\" remote_address_id: 2 "
       "backup: true}"},
      {{"subflow", "rm", "7", "1"}, "RemoveSubflow{id: 7 subflow_id: 1}"},
      {{"subflow", "rm", "7", "1", "--reset"},
       "RemoveSubflow{id: 7 subflow_id: 1 reset: true}"},
      {{"subflow", "prio", "7", "1", "backup"},
       "SetSubflowPriority{id: 7 subflow_id: 1 backup: true}"},
      {{"subflow", "prio", "7", "1", "regular"},
       "SetSubflowPriority{id: 7 subflow_id: 1}"},
      {{"addr", "announce", "7", "10.0.3.1"},
       "AnnounceAddress{id: 7 address: \"10.0.3.1\"}"},
      {{"addr", "withdraw", "7", "10.0.3.1"},
       "WithdrawAddress{id: 7 address: \"10.0.3.1\"}"},
      {{"conn", "close", "7"}, "CloseConnection{id: 7}"},
      {{"conn", "close", "7", "--fast"}, "CloseConnection{id: 7 fast: true}"},
  };
  google::protobuf::RepeatedPtrField<Connection> answer;
  *answer.Add() = service_.connection;
  std::vector<std::string> expected_calls;
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    Outcome run = Plaitctl(c.args);
    expected_calls.push_back(c.call);
    EXPECT_EQ(run.status, kExitOk) << run.err;
    EXPECT_EQ(service_.Calls(), expected_calls);
    // Each answers with the connection as it is now: shown as in `conns`.
    EXPECT_EQ(run.out, FormatConnectionTable(answer));
    EXPECT_EQ(run.err, "");
  }
}

TEST_F(PlaitctlTest, PerConnectionCommandAsJson) {
  service_.connection.set_id(7);
  service_.connection.set_scheduler("blest");
  Outcome run = Plaitctl({"sched", "set", "7", "blest", "--json"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(run.out, R"({"id":"7","scheduler":"blest"})"
                     "\n");
}

TEST_F(PlaitctlTest, PolicyGet) {
  service_.policy_state.set_generation(3);
  service_.policy_state.mutable_policy()->set_version("gen-3");
  Outcome run = Plaitctl({"policy", "get"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(), ElementsAre("GetPolicy{}"));
  EXPECT_EQ(run.out,
            "# generation: 3\n"
            "# applied: never (the daemon's start-up defaults)\n"
            "version: \"gen-3\"\n");
}

TEST_F(PlaitctlTest, PolicySetFromTextFormat) {
  service_.set_policy_response.set_version("gen-4");
  service_.set_policy_response.set_generation(4);
  service_.set_policy_response.set_applied(true);
  const std::string file = WriteFile(
      "p.txtpb", "profiles { name: \"web\" }\ndefault_profile: \"web\"\n");
  Outcome run = Plaitctl({"policy", "set", file});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(),
              ElementsAre("SetPolicy{policy { profiles { name: \"web\" } "
                          "default_profile: \"web\" }}"));
  EXPECT_EQ(run.out, "policy gen-4 applied (generation 4)\n");
}

TEST_F(PlaitctlTest, PolicySetDryRunFromJson) {
  const std::string file = WriteFile("p.json", R"({"version": "r7"})");
  Outcome run = Plaitctl({"policy", "set", file, "--dry-run"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(),
              ElementsAre("SetPolicy{policy { version: \"r7\" } dry_run: "
                          "true}"));
  EXPECT_EQ(run.out, "policy is valid (dry run: nothing changed)\n");
}

TEST_F(PlaitctlTest, PolicyValidate) {
  const std::string file = WriteFile("v.txtpb", "version: \"r8\"\n");
  Outcome run = Plaitctl({"policy", "validate", file});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(),
              ElementsAre("ValidatePolicy{policy { version: \"r8\" }}"));
  EXPECT_EQ(run.out, "v.txtpb: policy is valid\n");
}

TEST_F(PlaitctlTest, PolicyFileSyntaxErrorIsAUsageErrorAndSendsNothing) {
  const std::string file = WriteFile("bad.txtpb", "version: \"a\"\nrules {\n");
  Outcome run = Plaitctl({"policy", "set", file});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_THAT(service_.Calls(), IsEmpty());
  EXPECT_THAT(run.err, HasSubstr("plaitctl: bad.txtpb:3:1: "));
  EXPECT_EQ(run.out, "");
}

TEST_F(PlaitctlTest, InvalidArgumentExits1WithTheServersMessage) {
  service_.error = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "policy.rules[0].profile: no profile \"x\"");
  const std::string file = WriteFile("p.txtpb", "rules { profile: \"x\" }\n");
  Outcome run = Plaitctl({"policy", "validate", file});
  EXPECT_EQ(run.status, kExitRefused);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "plaitctl: INVALID_ARGUMENT: policy.rules[0].profile: no profile "
            "\"x\"\n");
}

TEST_F(PlaitctlTest, NotFoundExits1) {
  service_.error = grpc::Status(grpc::StatusCode::NOT_FOUND, "no connection 9");
  Outcome run = Plaitctl({"conn", "show", "9"});
  EXPECT_EQ(run.status, kExitRefused);
  EXPECT_EQ(run.err, "plaitctl: NOT_FOUND: no connection 9\n");
}

TEST_F(PlaitctlTest, UnreachableAddressExits3AndNamesIt) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = RunPlaitctl({"--api", "unix:nobody-here.sock", "status"},
                                 Environment{}, out, err);
  EXPECT_EQ(status, kExitUnreachable);
  EXPECT_EQ(out.str(), "");
  EXPECT_THAT(err.str(), HasSubstr("plaitctl: cannot reach plaitd at "
                                   "unix:nobody-here.sock (UNAVAILABLE: "));
  EXPECT_THAT(err.str(), HasSubstr("--api ADDR"));
}

TEST_F(PlaitctlTest, EnvironmentChoosesTheAddressWithoutApiFlag) {
  std::ostringstream out;
  std::ostringstream err;
  const Environment environment{.plaitctl_api = kAddress,
                                .default_api = "unix:nobody-here.sock"};
  EXPECT_EQ(RunPlaitctl({"status"}, environment, out, err), kExitOk)
      << err.str();
  EXPECT_THAT(service_.Calls(), ElementsAre("GetStatus{}"));
}

TEST_F(PlaitctlTest, SlowDaemonExits3AfterTimeout) {
  service_.status_delay = std::chrono::milliseconds(400);
  Outcome run = Plaitctl({"--timeout", "0.1", "status"});
  EXPECT_EQ(run.status, kExitUnreachable);
  EXPECT_THAT(run.err, HasSubstr("plaitctl: plaitd at unix:plaitd.sock did "
                                 "not answer within 0.1s (DEADLINE_EXCEEDED"));
}

plait::v1::Event MakeEvent(uint64_t sequence, plait::v1::EventType type) {
  plait::v1::Event event;
  event.set_sequence(sequence);
  event.set_unix_seconds(1700000000);
  event.set_type(type);
  event.set_connection_id(7);
  return event;
}

TEST_F(PlaitctlTest, EventsPrintsALinePerEventUntilTheStreamEnds) {
  service_.events = {
      MakeEvent(1, plait::v1::EVENT_TYPE_CONNECTION_CREATED),
      MakeEvent(2, plait::v1::EVENT_TYPE_SUBFLOW_CLOSED),
  };
  Outcome run = Plaitctl({"events", "--type", "connection_created", "--type",
                          "subflow_closed", "--conn", "7"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(
      service_.Calls(),
      ElementsAre("WatchEvents{types: EVENT_TYPE_CONNECTION_CREATED "
                  "types: EVENT_TYPE_SUBFLOW_CLOSED connection_id: 7}"));
  EXPECT_EQ(run.out,
            "2023-11-14T22:13:20.000Z #1 CONNECTION_CREATED conn=7\n"
            "2023-11-14T22:13:20.000Z #2 SUBFLOW_CLOSED conn=7 subflow=0 "
            "backup=no\n");
}

TEST_F(PlaitctlTest, EventsAsJsonOneObjectPerLine) {
  service_.events = {
      MakeEvent(1, plait::v1::EVENT_TYPE_CONNECTION_CREATED),
      MakeEvent(2, plait::v1::EVENT_TYPE_FALLBACK),
  };
  Outcome run = Plaitctl({"events", "--json"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(service_.Calls(), ElementsAre("WatchEvents{}"));
  EXPECT_EQ(run.out,
            R"({"sequence":"1","unix_seconds":1700000000,)"
            R"("type":"EVENT_TYPE_CONNECTION_CREATED","connection_id":"7"})"
            "\n"
            R"({"sequence":"2","unix_seconds":1700000000,)"
            R"("type":"EVENT_TYPE_FALLBACK","connection_id":"7"})"
            "\n");
}

TEST_F(PlaitctlTest, EventsStreamErrorExits1AfterTheEvents) {
  service_.events = {MakeEvent(1, plait::v1::EVENT_TYPE_FALLBACK)};
  service_.error =
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "needs mTLS");
  Outcome run = Plaitctl({"events"});
  EXPECT_EQ(run.status, kExitRefused);
  EXPECT_EQ(run.out, "2023-11-14T22:13:20.000Z #1 FALLBACK conn=7\n");
  EXPECT_EQ(run.err, "plaitctl: PERMISSION_DENIED: needs mTLS\n");
}

// A string stream whose flushed text another thread can wait for: the
// client flushes each event line, so a test can act once one is printed.
class WatchedOutput : public std::stringbuf {
 public:
  void WaitForText(const std::string& text) {
    std::unique_lock<std::mutex> lock(mutex_);
    flushed_cv_.wait(lock,
                     [&] { return flushed_.find(text) != flushed_.npos; });
  }

 protected:
  int sync() override {
    std::lock_guard<std::mutex> lock(mutex_);
    flushed_ = str();
    flushed_cv_.notify_all();
    return 0;
  }

 private:
  std::mutex mutex_;
  std::condition_variable flushed_cv_;
  std::string flushed_;
};

TEST_F(PlaitctlTest, CtrlCEndsEventsNormally) {
  service_.events = {MakeEvent(1, plait::v1::EVENT_TYPE_FALLBACK)};
  service_.wait_for_cancel = true;
  CallCanceller canceller;
  WatchedOutput watched;
  std::ostream out(&watched);
  // What plaitctl's signal thread does on Ctrl-C, once the event is shown.
  std::thread ctrl_c([&watched, &canceller] {
    watched.WaitForText("FALLBACK");
    canceller.Cancel();
  });
  std::ostringstream err;
  const int status = RunPlaitctl({"--api", kAddress, "events"}, Environment{},
                                 out, err, &canceller);
  ctrl_c.join();
  EXPECT_EQ(status, kExitOk) << err.str();
  EXPECT_EQ(watched.str(), "2023-11-14T22:13:20.000Z #1 FALLBACK conn=7\n");
  EXPECT_EQ(err.str(), "");
}

TEST_F(PlaitctlTest, CtrlCDuringAnotherCallExits130) {
  CallCanceller canceller;
  canceller.Cancel();
  Outcome run = Plaitctl({"status"}, &canceller);
  EXPECT_EQ(run.status, kExitInterrupted);
  EXPECT_EQ(run.err, "plaitctl: interrupted\n");
}

TEST_F(PlaitctlTest, CommandsTakeAnyStub) {
  // The Commands layer on its own, on the server's in-process channel.
  grpc::ChannelArguments arguments;
  std::unique_ptr<plait::v1::DataplaneService::StubInterface> stub =
      plait::v1::DataplaneService::NewStub(
          server_->InProcessChannel(arguments));
  std::ostringstream out;
  std::ostringstream err;
  GlobalOptions options;
  options.api = "in-process";
  Invocation invocation;
  invocation.command = CommandKind::kConnShow;
  invocation.connection_id = 7;
  service_.connection.set_id(7);
  EXPECT_EQ(Commands(stub.get(), options, out, err).Run(invocation), kExitOk);
  EXPECT_THAT(service_.Calls(), ElementsAre("GetConnection{id: 7}"));
  EXPECT_THAT(out.str(), HasSubstr("connection:         7\n"));
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(TestdataPath(name));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// plaitd over TCP with mTLS: the test PKI of testdata/make_certs.sh.
class PlaitctlTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = ReadTestdata("ca.pem");
    tls.pem_key_cert_pairs.push_back(
        {ReadTestdata("server.key"), ReadTestdata("server.pem")});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  void TearDown() override { server_->Shutdown(); }

  int Plaitctl(std::vector<std::string> args, std::string* err) {
    args.insert(args.begin(), {"--api", address_, "--timeout", "3"});
    std::ostringstream out;
    std::ostringstream err_stream;
    const int status =
        RunPlaitctl(args, Environment{}, out, err_stream, nullptr);
    *err = err_stream.str();
    return status;
  }

  DataplaneServiceTestDouble service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(PlaitctlTlsTest, MutualTls) {
  std::string err;
  EXPECT_EQ(
      Plaitctl({"status", "--tls-ca", TestdataPath("ca.pem"), "--tls-cert",
                TestdataPath("client.pem"), "--tls-key",
                TestdataPath("client.key"), "--tls-server-name", "plaitd.test"},
               &err),
      kExitOk)
      << err;
  EXPECT_THAT(service_.Calls(), ElementsAre("GetStatus{}"));
}

TEST_F(PlaitctlTlsTest, WithoutClientCertificateTheHandshakeFails) {
  std::string err;
  EXPECT_EQ(Plaitctl({"status", "--tls-ca", TestdataPath("ca.pem"),
                      "--tls-server-name", "plaitd.test"},
                     &err),
            kExitUnreachable);
  EXPECT_THAT(err, HasSubstr("cannot reach plaitd at " + address_));
  EXPECT_THAT(service_.Calls(), IsEmpty());
}

TEST_F(PlaitctlTlsTest, WrongServerNameIsRefused) {
  std::string err;
  EXPECT_EQ(
      Plaitctl({"status", "--tls-ca", TestdataPath("ca.pem"), "--tls-cert",
                TestdataPath("client.pem"), "--tls-key",
                TestdataPath("client.key"), "--tls-server-name", "other.test"},
               &err),
      kExitUnreachable);
  EXPECT_THAT(service_.Calls(), IsEmpty());
}

TEST_F(PlaitctlTlsTest, PlainClientCannotTalkToTls) {
  std::string err;
  EXPECT_EQ(Plaitctl({"status"}, &err), kExitUnreachable);
  EXPECT_THAT(service_.Calls(), IsEmpty());
}

TEST(StatusCodeNameTest, NamesEveryCode) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::INVALID_ARGUMENT),
            "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::FAILED_PRECONDITION),
            "FAILED_PRECONDITION");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::PERMISSION_DENIED),
            "PERMISSION_DENIED");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(42)), "CODE_42");
}

}  // namespace
}  // namespace plait::cli
