// MPTCP integrity soak: 1,000 seeded random scenarios, each one MPTCP
// connection from a client with 1 to 4 addresses, each on its own path
// (1-200 Mbit/s, 1-100 ms one way, loss, bursty loss, reordering, jitter,
// queues from two packets to unlimited) to a router, and from there over a
// fast core and LAN to the server. Client links flap (down then up, or down
// for good, while another path survives) and the core has outages; the
// scheduler, the congestion control, DSS
// checksums, a backup subflow, IPv6 and the buffers vary, and the scheduler
// is switched 0-3 times during the transfer. Every byte must arrive exactly
// once and in order, both ends must close normally, and every scheduler
// switch that fell inside the run must have taken effect. A failure prints
// the generated scenario, which plait-sim can replay.
//
// Not covered because the runner cannot do it: data in both directions (the
// runner's flows send client to server only).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "sim/random.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace plait::sim {
namespace {

constexpr int kScenarios = 1000;
constexpr int kBatches = 10;

constexpr const char* kSchedulers[] = {"minrtt", "roundrobin", "redundant",
                                       "blest", "ecf"};
constexpr const char* kCongestionControls[] = {"lia", "olia", "balia", "cubic",
                                               "reno"};

double LogUniform(Random& r, double lo, double hi) {
  return std::exp(std::log(lo) +
                  r.UniformDouble() * (std::log(hi) - std::log(lo)));
}

template <size_t N>
const char* Pick(Random& r, const char* const (&names)[N]) {
  return names[r.UniformInt(N)];
}

std::string ClientAddress(bool v6, int path) {
  return v6 ? absl::StrCat("fd00:", path + 1, "::1")
            : absl::StrCat("10.0.", path + 1, ".1");
}

void Impair(Random& r, double rate, double delay, bool data,
            v1::LinkDirection* d) {
  d->set_rate_mbps(rate);
  d->set_delay_ms(delay);
  if (r.Bernoulli(data ? 0.5 : 0.25)) {
    d->set_loss(r.UniformDouble() * (data ? 0.03 : 0.01));
  }
  if (r.Bernoulli(0.1)) {
    v1::GilbertElliott* g = d->mutable_burst_loss();
    g->set_p_good_to_bad(0.001 + r.UniformDouble() * 0.01);
    g->set_p_bad_to_good(0.2 + r.UniformDouble() * 0.6);
    g->set_loss_in_bad(0.5 + r.UniformDouble() * 0.5);
  }
  if (r.Bernoulli(0.25)) {
    d->set_reorder_probability(r.UniformDouble() * 0.05);
    d->set_reorder_extra_delay_ms(1 + r.UniformDouble() * 19);
  }
  if (r.Bernoulli(0.2)) d->set_jitter_ms(r.UniformDouble() * 5);
  switch (r.UniformInt(5)) {
    case 0:
      d->set_queue_bytes(3000);  // two packets
      break;
    case 1:
      break;  // unlimited
    default:
      d->set_queue_bdp(0.1 + r.UniformDouble() * 3.9);
      break;
  }
  if (r.Bernoulli(0.1)) d->set_aqm(v1::LinkDirection::CODEL);
}

v1::Scenario Generate(uint64_t seed) {
  Random r(seed);
  v1::Scenario s;
  s.set_name("mptcp-soak-" + std::to_string(seed));
  s.set_seed(seed);
  s.set_stop_s(3000);
  for (const auto& [name, kind] :
       {std::pair{"client", v1::Node::HOST}, std::pair{"r", v1::Node::ROUTER},
        std::pair{"r2", v1::Node::ROUTER},
        std::pair{"server", v1::Node::HOST}}) {
    v1::Node* node = s.add_nodes();
    node->set_name(name);
    node->set_kind(kind);
  }
  const bool v6 = r.Bernoulli(0.2);
  const int paths = 1 + static_cast<int>(r.UniformInt(4));
  double total_rate = 0;
  double max_delay = 0;
  for (int p = 0; p < paths; ++p) {
    v1::Link* link = s.add_links();
    link->set_name(absl::StrCat("path", p));
    link->set_a("client");
    link->set_b("r");
    link->set_a_address(ClientAddress(v6, p));
    const double rate = LogUniform(r, 1, 200);
    const double delay = 1 + r.UniformDouble() * 99;
    total_rate += rate;
    max_delay = std::max(max_delay, delay);
    Impair(r, rate, delay, true, link->mutable_a_to_b());
    Impair(r, rate, delay, false, link->mutable_b_to_a());
  }
  // Between the paths and the server LAN, a core link with no host on it:
  // its outages are failures beyond the first hop, which only
  // retransmission timeouts reveal (a host hears of its own links going
  // down, and its path manager closes their subflows).
  v1::Link* core = s.add_links();
  core->set_name("core");
  core->set_a("r");
  core->set_b("r2");
  core->mutable_a_to_b()->set_rate_mbps(10000);
  core->mutable_a_to_b()->set_delay_ms(0.01);
  v1::Link* lan = s.add_links();
  lan->set_name("lan");
  lan->set_a("r2");
  lan->set_b("server");
  lan->set_b_address(v6 ? "fd00::2" : "10.0.0.2");
  *lan->mutable_a_to_b() = core->a_to_b();

  v1::Flow* f = s.add_flows();
  f->set_name("flow");
  f->set_client("client");
  f->set_server("server");
  // A tenth of the flows fit in a few segments (handshake and close
  // corner cases); the rest are log-uniform up to 4 MB, and the slowest
  // paths get less so that the soak's run time stays bounded.
  const double max_bytes = std::min(4e6, total_rate * 1e6 / 8 * 10);
  const uint64_t bytes = r.Bernoulli(0.1)
                             ? 1 + r.UniformInt(3000)
                             : static_cast<uint64_t>(LogUniform(
                                   r, 1000, std::max(max_bytes, 2e3)));
  f->set_bytes(bytes);
  f->set_start_s(r.UniformDouble());
  if (r.Bernoulli(0.15)) f->set_no_sack(true);
  if (r.Bernoulli(0.15)) f->set_no_timestamps(true);
  if (r.Bernoulli(0.25)) {
    f->set_send_buffer_bytes(16384 + r.UniformInt(256 * 1024));
    f->set_receive_buffer_bytes(16384 + r.UniformInt(256 * 1024));
  }
  v1::Mptcp* m = f->mutable_mptcp();
  m->set_enabled(true);
  m->set_scheduler(Pick(r, kSchedulers));
  m->set_congestion_control(Pick(r, kCongestionControls));
  m->set_checksums(r.Bernoulli(0.3));
  if (paths > 1 && r.Bernoulli(0.25)) {
    m->add_backup_addresses(
        ClientAddress(v6, 1 + static_cast<int>(r.UniformInt(paths - 1))));
  }

  // A rough transfer time, so that flaps and switches fall while data moves.
  const double busy_s =
      bytes * 8 / (total_rate * 1e6) + 6 * max_delay / 1000 + 0.2;
  const double start = f->start_s();
  for (int sw = r.UniformInt(4); sw > 0; --sw) {
    v1::SchedulerSwitch* x = m->add_scheduler_switches();
    x->set_at_s(start + 0.001 + r.UniformDouble() * busy_s);
    x->set_scheduler(Pick(r, kSchedulers));
  }
  // The scenario reader wants no order, but plait-sim users read it better.
  std::sort(m->mutable_scheduler_switches()->begin(),
            m->mutable_scheduler_switches()->end(),
            [](const v1::SchedulerSwitch& a, const v1::SchedulerSwitch& b) {
              return a.at_s() < b.at_s();
            });

  // Client links going down close their subflows (the client's path
  // manager hears of it), so one path, the survivor, never goes down; the
  // others go down and up again (the path manager reopens their subflows),
  // or down for good. The initial path (path0) goes down only once the
  // other subflows are surely open: before that, losing it loses the
  // connection.
  const int survivor = static_cast<int>(r.UniformInt(paths));
  const double joined = start + 4 + 10 * max_delay / 1000;
  for (int p = 0; p < paths; ++p) {
    if (p == survivor || !r.Bernoulli(0.4)) continue;
    const std::string name = absl::StrCat("path", p);
    const bool for_good = r.Bernoulli(0.4);
    double at = (p == 0 ? joined : start) + r.UniformDouble() * busy_s;
    for (int flap = for_good ? 1 : 1 + static_cast<int>(r.UniformInt(2));
         flap > 0; --flap) {
      v1::LinkEvent* down = s.add_events();
      down->set_link(name);
      down->set_at_s(at);
      down->set_up(false);
      if (for_good) break;
      at += 0.2 + r.UniformDouble() * 4.8;
      v1::LinkEvent* up = s.add_events();
      up->set_link(name);
      up->set_at_s(at);
      up->set_up(true);
      at += 0.1 + r.UniformDouble() * busy_s;
    }
  }
  // An outage of every path at once, beyond the first hop, which the
  // subflows must ride out.
  if (r.Bernoulli(0.15)) {
    const double down_at = start + r.UniformDouble() * busy_s;
    for (bool up : {false, true}) {
      v1::LinkEvent* e = s.add_events();
      e->set_link("core");
      e->set_up(up);
      e->set_at_s(up ? down_at + 0.2 + r.UniformDouble() * 4.8 : down_at);
    }
  }
  return s;
}

struct Totals {
  int scenarios = 0;
  std::map<int, int> paths;  // paths -> scenarios
  int v6 = 0;
  int checksums = 0;
  int backups = 0;
  int flaps = 0;           // scenarios with a client link going down
  int paths_killed = 0;    // client links down for good
  int outages = 0;         // scenarios with a core outage
  int known_failures = 0;  // run, failed as expected, not counted above
  uint64_t switches = 0;   // scheduler switches that took effect
  uint64_t switches_mid_transfer = 0;
  uint64_t bytes = 0;
  uint64_t reinjected = 0;
  uint64_t rtos = 0;
  double virtual_s = 0;

  std::string Summary() const {
    std::vector<std::string> histogram;
    for (const auto& [n, count] : paths) {
      histogram.push_back(absl::StrCat(n, ":", count));
    }
    return absl::StrCat(
        scenarios, " scenarios, paths {", absl::StrJoin(histogram, " "),
        "}, ipv6 ", v6, ", checksums ", checksums, ", backup ", backups,
        ", with flaps ", flaps, ", paths killed ", paths_killed,
        ", core outages ", outages, ", scheduler switches ", switches, " (",
        switches_mid_transfer, " mid-transfer), bytes ", bytes, ", reinjected ",
        reinjected, ", rtos ", rtos, ", known failures ", known_failures,
        ", virtual s ", static_cast<int64_t>(virtual_s));
  }
};

// Summed over the batches this process (one test shard) ran, printed once
// at its end; the shards' lines add up to the whole soak.
Totals& AllBatches() {
  static Totals* totals = new Totals;
  return *totals;
}

class SummaryPrinter : public testing::Environment {
 public:
  void TearDown() override {
    std::cout << "mptcp soak summary: " << AllBatches().Summary() << "\n";
  }
};
const testing::Environment* const kSummaryPrinter =
    testing::AddGlobalTestEnvironment(new SummaryPrinter);

// Runs one seed; counts it into `t` only if it passed.
void RunSeed(uint64_t seed, Totals& t) {
  const v1::Scenario scenario = Generate(seed);
  std::string text;
  google::protobuf::TextFormat::PrintToString(scenario, &text);
  // The generated scenario must also be a valid scenario file.
  ASSERT_TRUE(ParseScenario(text, "generated").ok()) << text;
  auto result = RunScenario(scenario);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->report.flows.size(), 1u);
  const FlowReport& f = result->report.flows[0];
  SCOPED_TRACE(text + result->report.ToJson());
  ASSERT_TRUE(f.mptcp);
  ASSERT_FALSE(f.fallback);
  ASSERT_TRUE(f.prefix_intact);
  ASSERT_TRUE(f.intact);
  ASSERT_TRUE(f.completed);
  ASSERT_EQ(f.sender_end, "closed");
  ASSERT_EQ(f.receiver_end, "closed");

  // The runner switches the client's scheduler at each at_s once the
  // connection exists (from start_s) until the run ends (both ends
  // closed); every one of those must be counted, and the scheduler left
  // at the end must be the last one asked for.
  const v1::Flow& spec = scenario.flows(0);
  const double end_s = result->report.end_s;
  uint64_t expected = 0;
  std::string last = spec.mptcp().scheduler();
  for (const v1::SchedulerSwitch& sw : spec.mptcp().scheduler_switches()) {
    if (sw.at_s() < spec.start_s() || sw.at_s() > end_s) continue;
    ++expected;
    last = sw.scheduler();
    if (sw.at_s() < spec.start_s() + f.completion_time_s) {
      ++t.switches_mid_transfer;
    }
  }
  ASSERT_EQ(f.scheduler_switches, expected);
  ASSERT_EQ(f.scheduler, last);

  ++t.scenarios;
  const int paths = scenario.links_size() - 2;  // all but core and lan
  ++t.paths[paths];
  if (absl::StrContains(scenario.links(0).a_address(), ":")) ++t.v6;
  if (spec.mptcp().checksums()) ++t.checksums;
  if (spec.mptcp().backup_addresses_size() > 0) ++t.backups;
  bool flapped = false;
  for (const v1::LinkEvent& e : scenario.events()) {
    if (e.link() == "core") {
      t.outages += !e.up();
    } else {
      flapped = true;
    }
  }
  t.flaps += flapped;
  for (int p = 0; p < paths; ++p) {
    bool down = false;
    for (const v1::LinkEvent& e : scenario.events()) {
      if (e.link() == scenario.links(p).name()) down = !e.up();
    }
    if (down) ++t.paths_killed;
  }
  t.switches += f.scheduler_switches;
  t.bytes += f.bytes_delivered;
  t.reinjected += f.bytes_reinjected;
  t.rtos += f.rto_count;
  t.virtual_s += end_s;
}

// Seeds that fail for a known reason not fixed yet. Each still runs, and
// must still fail: one that passes is to be taken off the list. None now.
//
// History: seeds 64, 137, 428, 470, 690, 939 and 979 failed because data
// could be stranded after the DATA_FIN (subflows now stay open until every
// byte is DATA_ACKed, and a data-level timer resends what lost its
// DATA_ACK); seed 533 stalled because the sender kept its whole send buffer
// in flight past the receiver's data-level room (it now respects the
// peer's data-level window, RFC 8684 3.3.4).
constexpr std::array<uint64_t, 0> kKnownFailures{};

bool KnownFailure(uint64_t seed) {
  return std::find(kKnownFailures.begin(), kKnownFailures.end(), seed) !=
         kKnownFailures.end();
}

class MptcpSoakTest : public testing::TestWithParam<int> {};

TEST_P(MptcpSoakTest, EveryByteOnceAndInOrderAndSwitchesTakeEffect) {
  const int per_batch = kScenarios / kBatches;
  Totals t;
  // Every seed runs even after a failure, so that one run lists them all.
  for (int i = 0; i < per_batch; ++i) {
    const uint64_t seed = 1 + GetParam() * per_batch + i;
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    if (!KnownFailure(seed)) {
      RunSeed(seed, t);
      continue;
    }
    testing::TestPartResultArray failures;
    {
      testing::ScopedFakeTestPartResultReporter reporter(
          testing::ScopedFakeTestPartResultReporter::
              INTERCEPT_ONLY_CURRENT_THREAD,
          &failures);
      RunSeed(seed, t);
    }
    EXPECT_GT(failures.size(), 0) << "passes now: take it off kKnownFailures";
    ++t.known_failures;
  }
  std::cout << "mptcp soak batch " << GetParam() << " (seeds "
            << 1 + GetParam() * per_batch << "-" << (GetParam() + 1) * per_batch
            << "): " << t.Summary() << "\n";
  Totals& all = AllBatches();
  all.scenarios += t.scenarios;
  for (const auto& [n, count] : t.paths) all.paths[n] += count;
  all.v6 += t.v6;
  all.checksums += t.checksums;
  all.backups += t.backups;
  all.flaps += t.flaps;
  all.paths_killed += t.paths_killed;
  all.outages += t.outages;
  all.known_failures += t.known_failures;
  all.switches += t.switches;
  all.switches_mid_transfer += t.switches_mid_transfer;
  all.bytes += t.bytes;
  all.reinjected += t.reinjected;
  all.rtos += t.rtos;
  all.virtual_s += t.virtual_s;
}

INSTANTIATE_TEST_SUITE_P(Batches, MptcpSoakTest, testing::Range(0, kBatches));

}  // namespace
}  // namespace plait::sim
