// Integrity soak: 1,000 random scenarios, each seeded, over the whole range
// of paths the engine must survive: 1 Mbit/s to 1 Gbit/s, 1 to 200 ms one
// way, 0 to 5% loss, bursty loss, reordering, jitter, queues from two
// packets to 100 MB, link flaps, SACK and timestamps on or off, Reno or
// CUBIC, and sometimes an abort. Every byte must arrive exactly once and in
// order, and every connection must end cleanly or with the reset asked for.
// A failure prints the generated scenario, which plait-sim can replay.
#include <cmath>
#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "sim/random.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace plait::sim {
namespace {

constexpr int kScenarios = 1000;
constexpr int kBatches = 10;

double LogUniform(Random& r, double lo, double hi) {
  return std::exp(std::log(lo) + r.UniformDouble() * (std::log(hi) - std::log(lo)));
}

v1::Scenario Generate(uint64_t seed) {
  Random r(seed);
  v1::Scenario s;
  s.set_name("soak-" + std::to_string(seed));
  s.set_seed(seed);
  s.set_stop_s(3000);
  for (const char* name : {"client", "server"}) {
    v1::Node* node = s.add_nodes();
    node->set_name(name);
    node->set_kind(v1::Node::HOST);
  }
  v1::Link* link = s.add_links();
  link->set_name("path");
  link->set_a("client");
  link->set_b("server");
  const bool v6 = r.Bernoulli(0.2);
  link->set_a_address(v6 ? "fd00::1" : "10.0.0.1");
  link->set_b_address(v6 ? "fd00::2" : "10.0.0.2");
  const double rate = LogUniform(r, 1, 1000);
  const double delay = 1 + r.UniformDouble() * 199;
  bool lossless = true;
  for (v1::LinkDirection* d : {link->mutable_a_to_b(), link->mutable_b_to_a()}) {
    const bool data = d == link->mutable_a_to_b();
    d->set_rate_mbps(rate);
    d->set_delay_ms(delay);
    if (r.Bernoulli(data ? 0.7 : 0.3)) {
      d->set_loss(r.UniformDouble() * (data ? 0.05 : 0.02));
      lossless = false;
    }
    if (r.Bernoulli(0.1)) {
      v1::GilbertElliott* g = d->mutable_burst_loss();
      g->set_p_good_to_bad(0.001 + r.UniformDouble() * 0.01);
      g->set_p_bad_to_good(0.2 + r.UniformDouble() * 0.6);
      g->set_loss_in_bad(0.5 + r.UniformDouble() * 0.5);
      lossless = false;
    }
    if (r.Bernoulli(0.3)) {
      d->set_reorder_probability(r.UniformDouble() * 0.05);
      d->set_reorder_extra_delay_ms(1 + r.UniformDouble() * 19);
    }
    if (r.Bernoulli(0.2)) d->set_jitter_ms(r.UniformDouble() * 5);
    switch (r.UniformInt(4)) {
      case 0: d->set_queue_bytes(3000); break;          // tiny: two packets
      case 1: d->set_queue_bytes(100'000'000); break;   // huge
      default: d->set_queue_bdp(0.1 + r.UniformDouble() * 3.9); break;
    }
    if (r.Bernoulli(0.15)) d->set_aqm(v1::LinkDirection::CODEL);
  }
  const bool flaps = r.Bernoulli(0.2);
  if (flaps) {
    const double down_at = r.UniformDouble() * 5;
    for (bool up : {false, true}) {
      v1::LinkEvent* e = s.add_events();
      e->set_link("path");
      e->set_up(up);
      e->set_at_s(up ? down_at + 0.5 + r.UniformDouble() * 7.5 : down_at);
    }
  }
  v1::Flow* f = s.add_flows();
  f->set_name("flow");
  f->set_client("client");
  f->set_server("server");
  f->set_bytes(static_cast<uint64_t>(LogUniform(r, 1000, 2'000'000)));
  f->set_start_s(r.UniformDouble());
  f->set_congestion_control(r.Bernoulli(0.5) ? "cubic" : "reno");
  if (r.Bernoulli(0.2)) f->set_no_sack(true);
  if (r.Bernoulli(0.2)) f->set_no_timestamps(true);
  if (r.Bernoulli(0.3)) {
    f->set_send_buffer_bytes(8192 + r.UniformInt(256 * 1024));
    f->set_receive_buffer_bytes(8192 + r.UniformInt(256 * 1024));
  }
  // Aborts only where the RST cannot be lost, so the reset is certain.
  if (lossless && !flaps && r.Bernoulli(0.1)) {
    f->set_abort_at_s(f->start_s() + 0.05 + r.UniformDouble() * 2);
  }
  return s;
}

class SoakTest : public testing::TestWithParam<int> {};

TEST_P(SoakTest, EveryByteOnceAndInOrderAndEveryConnectionEndsCleanly) {
  const int per_batch = kScenarios / kBatches;
  for (int i = 0; i < per_batch; ++i) {
    const uint64_t seed = 1 + GetParam() * per_batch + i;
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
    ASSERT_TRUE(f.prefix_intact);
    const bool aborted = scenario.flows(0).abort_at_s() > 0;
    if (aborted) {
      // The abort may come before the SYN arrives (the server never sees
      // the connection), during the transfer (the server is reset), or
      // after the data is all delivered (a clean end, or a reset that
      // overtakes the server's own close).
      if (f.completed) {
        ASSERT_TRUE(f.intact);
        ASSERT_TRUE(f.receiver_end == "closed" || f.receiver_end == "reset")
            << f.receiver_end;
      } else {
        ASSERT_EQ(f.sender_end, "aborted");
        ASSERT_TRUE(f.receiver_end == "reset" ||
                    f.receiver_end == "never-opened")
            << f.receiver_end;
      }
      continue;
    }
    ASSERT_TRUE(f.intact);
    ASSERT_TRUE(f.completed);
    ASSERT_EQ(f.receiver_end, "closed");
    ASSERT_TRUE(f.sender_end == "time-wait" || f.sender_end == "closed")
        << f.sender_end;
  }
}

INSTANTIATE_TEST_SUITE_P(Batches, SoakTest, testing::Range(0, kBatches));

}  // namespace
}  // namespace plait::sim
