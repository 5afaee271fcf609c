// How fast the simulator runs: simulated seconds per wall-clock second (and
// per CPU second of the thread, steadier on a shared machine) for one CUBIC
// flow on a 1 Gbit/s link (10 ms round trip, 1-BDP queue).
//
// The reference, measured in the same run: the same link carrying the same
// number of packets with no TCP at all (a paced packet train through the
// link model), i.e. the simulator's own cost per packet. "x_reference" is
// how many times slower the TCP run is per simulated second.
#include <time.h>

#include <chrono>

#include "benchmark/benchmark.h"
#include "sim/link.h"
#include "sim/scenario_runner.h"
#include "sim/simulator.h"

namespace plait::sim {
namespace {

// CPU time of this thread: the machines are shared, so wall time would
// measure the neighbours too.
double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

constexpr double kSimulatedSeconds = 3;

v1::Scenario GigabitScenario() {
  v1::Scenario s;
  s.set_name("bench-1g");
  s.set_seed(1);
  s.set_stop_s(kSimulatedSeconds + 1);
  for (const char* name : {"client", "server"}) {
    v1::Node* node = s.add_nodes();
    node->set_name(name);
    node->set_kind(v1::Node::HOST);
  }
  v1::Link* link = s.add_links();
  link->set_name("path");
  link->set_a("client");
  link->set_b("server");
  link->set_a_address("10.0.0.1");
  link->set_b_address("10.0.0.2");
  link->mutable_a_to_b()->set_rate_mbps(1000);
  link->mutable_a_to_b()->set_delay_ms(5);
  link->mutable_a_to_b()->set_queue_bdp(1);
  v1::Flow* flow = s.add_flows();
  flow->set_name("bulk");
  flow->set_client("client");
  flow->set_server("server");
  flow->set_duration_s(kSimulatedSeconds);
  flow->set_send_buffer_bytes(8 << 20);
  flow->set_receive_buffer_bytes(8 << 20);
  return s;
}

class Counter : public PacketSink {
 public:
  void Receive(Packet packet) override { ++packets; }
  uint64_t packets = 0;
};

// Seconds of wall time to move `packets` 1500-byte packets through a
// 1 Gbit/s link at line rate.
double LinkOnlySeconds(uint64_t packets) {
  Simulator sim(1);
  Counter counter;
  LinkConfig config;
  config.rate_bps = 1'000'000'000;
  config.delay = Milliseconds(5);
  Link link(&sim, config, sim.random().Fork(1), &counter);
  const Duration gap = link.TransmissionTime(1500);
  const double start = ThreadSeconds();
  for (uint64_t i = 0; i < packets; ++i) {
    sim.Schedule(Time() + gap * static_cast<int64_t>(i), [&link, &sim] {
      Packet p;
      p.bytes.assign(1500, 0x45);
      p.id = sim.NextPacketId();
      link.Receive(std::move(p));
    });
    if (i % 1024 == 0) sim.RunUntil(Time() + gap * static_cast<int64_t>(i));
  }
  sim.RunUntilIdle();
  return (ThreadSeconds() - start);
}

void BM_SimulateGigabitCubicFlow(benchmark::State& state) {
  const v1::Scenario scenario = GigabitScenario();
  double wall = 0;
  double cpu = 0;
  uint64_t packets = 0;
  double goodput = 0;
  for (auto _ : state) {
    const double start = ThreadSeconds();
    const auto wall_start = std::chrono::steady_clock::now();
    auto result = RunScenario(scenario);
    cpu += ThreadSeconds() - start;
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                          wall_start)
                .count();
    if (!result.ok()) {
      state.SkipWithError("scenario failed");
      return;
    }
    packets = result->report.links[0].stats.offered_packets;
    goodput = result->report.flows[0].goodput_mbps;
  }
  const double per_run = cpu / static_cast<double>(state.iterations());
  state.counters["sim_s_per_cpu_s"] = kSimulatedSeconds / per_run;
  state.counters["sim_s_per_wall_s"] =
      kSimulatedSeconds * static_cast<double>(state.iterations()) / wall;
  state.counters["data_packets"] = static_cast<double>(packets);
  state.counters["goodput_mbps"] = goodput;
  const double reference = LinkOnlySeconds(packets);
  state.counters["link_only_sim_s_per_cpu_s"] = kSimulatedSeconds / reference;
  state.counters["x_reference"] = per_run / reference;
}
BENCHMARK(BM_SimulateGigabitCubicFlow)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace plait::sim

BENCHMARK_MAIN();
