// MPTCP's cost in CPU and memory.
//
// BM_MptcpGoodputPerCore: one MPTCP connection (LIA, minrtt) over two
// disjoint simulated 500 Mbit/s paths for a fixed simulated time, run by the
// simulator; "goodput_bits_per_cpu_s" is the bits the receiving application
// read per CPU second of this thread (the whole simulation: links, router,
// both stacks). The reference, measured in the same run: one plain TCP flow
// (CUBIC) over a single 1 Gbit/s path of the same total rate through the same
// router and LAN. "x_tcp" is MPTCP's goodput per CPU second over TCP's.
//
// BM_MptcpIdleMemory: two dataplane/stack Stacks joined back to back in
// memory (no simulator). N connections are opened, carry a few bytes each
// way, and go idle; then each gets one MP_JOIN subflow and goes idle again.
// Every heap allocation is counted (operator new is replaced in this binary)
// and attributed to the stack whose call made it, so "heap_per_conn_*" and
// "heap_per_subflow_*" are bytes live per connection (resp. per extra
// subflow) on the client and on the server with the default buffer config.
// "buffers_per_conn" / "buffers_per_subflow" are what the default send and
// receive buffers alone amount to (reserved up front, at construction: the
// rings are allocated whole, not as data arrives), and "rss_per_conn" /
// "rss_per_subflow" the growth of the process's resident memory (both ends
// together): large rings come from mmap and stay untouched until used, so an
// idle connection costs far less resident memory than heap.
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <new>
#include <vector>

#include "benchmark/benchmark.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/stack/stack.h"
#include "dataplane/wire/ip_address.h"
#include "sim/scenario_runner.h"

namespace {

// Which stack is running (0 client, 1 server), or -1: the harness. Only the
// benchmark thread sets it.
thread_local int current_side = -1;
// Bytes live (malloc_usable_size, so the allocator's rounding counts) by the
// side that allocated them. The side is kept in a header before the block,
// since a block may be freed while another side runs.
constexpr size_t kHeader = 16;  // keeps the block 16-byte aligned
int64_t live_bytes[3] = {0, 0, 0};

void* Allocate(size_t size) {
  void* raw = std::malloc(kHeader + (size == 0 ? 1 : size));
  if (raw == nullptr) throw std::bad_alloc();
  const int slot = current_side + 1;
  *static_cast<int*>(raw) = slot;
  live_bytes[slot] += static_cast<int64_t>(malloc_usable_size(raw));
  return static_cast<char*>(raw) + kHeader;
}

void Free(void* p) {
  if (p == nullptr) return;
  void* raw = static_cast<char*>(p) - kHeader;
  live_bytes[*static_cast<int*>(raw)] -=
      static_cast<int64_t>(malloc_usable_size(raw));
  std::free(raw);
}

}  // namespace

// Aligned new/delete are left to the library: they pair with each other.
void* operator new(size_t size) { return Allocate(size); }
void* operator new[](size_t size) { return Allocate(size); }
void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }

namespace plait {
namespace {

// CPU time of this thread: the machines are shared, so wall time would
// measure the neighbours too.
double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

int64_t ResidentBytes() {
  long size = 0;
  long resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// ---------------------------------------------------------------- goodput

constexpr double kSimulatedSeconds = 3;

// client = paths => r -(LAN 10 Gbit/s)- server; each path `rate_mbps`,
// 5 ms one way, a 1-BDP drop-tail queue.
v1::Scenario Scenario(int paths, double rate_mbps, bool mptcp) {
  v1::Scenario s;
  s.set_name(mptcp ? "bench-mptcp" : "bench-tcp");
  s.set_seed(1);
  s.set_stop_s(kSimulatedSeconds + 2);
  for (auto [name, kind] :
       {std::pair{"client", v1::Node::HOST}, std::pair{"r", v1::Node::ROUTER},
        std::pair{"server", v1::Node::HOST}}) {
    v1::Node* node = s.add_nodes();
    node->set_name(name);
    node->set_kind(kind);
  }
  for (int i = 0; i < paths; ++i) {
    v1::Link* link = s.add_links();
    link->set_name("path" + std::to_string(i + 1));
    link->set_a("client");
    link->set_b("r");
    link->set_a_address("10.0." + std::to_string(i + 1) + ".1");
    link->mutable_a_to_b()->set_rate_mbps(rate_mbps);
    link->mutable_a_to_b()->set_delay_ms(5);
    link->mutable_a_to_b()->set_queue_bdp(1);
  }
  v1::Link* lan = s.add_links();
  lan->set_name("lan");
  lan->set_a("r");
  lan->set_b("server");
  lan->set_b_address("10.0.0.2");
  lan->mutable_a_to_b()->set_rate_mbps(10000);
  lan->mutable_a_to_b()->set_delay_ms(0.01);
  v1::Flow* flow = s.add_flows();
  flow->set_name("bulk");
  flow->set_client("client");
  flow->set_server("server");
  flow->set_duration_s(kSimulatedSeconds);
  flow->set_send_buffer_bytes(8 << 20);
  flow->set_receive_buffer_bytes(8 << 20);
  if (mptcp) {
    flow->mutable_mptcp()->set_enabled(true);
    flow->mutable_mptcp()->set_congestion_control("lia");
  }
  return s;
}

struct GoodputRun {
  double cpu_seconds = 0;
  uint64_t bytes = 0;
  double goodput_mbps = 0;
  bool ok = false;
};

GoodputRun RunOnce(const v1::Scenario& scenario) {
  GoodputRun run;
  const double start = ThreadSeconds();
  auto result = sim::RunScenario(scenario);
  run.cpu_seconds = ThreadSeconds() - start;
  if (!result.ok() || result->report.flows.empty()) return run;
  const sim::FlowReport& flow = result->report.flows[0];
  run.bytes = flow.bytes_delivered;
  run.goodput_mbps = flow.goodput_mbps;
  run.ok = flow.intact &&
           (!scenario.flows(0).has_mptcp() ||
            (flow.mptcp && !flow.fallback && flow.subflows.size() == 2));
  return run;
}

void BM_MptcpGoodputPerCore(benchmark::State& state) {
  const v1::Scenario mptcp = Scenario(2, 500, true);
  const v1::Scenario tcp = Scenario(1, 1000, false);
  GoodputRun m_total, t_total;
  for (auto _ : state) {
    for (auto [scenario, total] :
         {std::pair{&mptcp, &m_total}, std::pair{&tcp, &t_total}}) {
      const GoodputRun run = RunOnce(*scenario);
      if (!run.ok) {
        state.SkipWithError("scenario failed or was not intact");
        return;
      }
      total->cpu_seconds += run.cpu_seconds;
      total->bytes += run.bytes;
      total->goodput_mbps = run.goodput_mbps;
    }
  }
  const double m =
      8.0 * static_cast<double>(m_total.bytes) / m_total.cpu_seconds;
  const double t =
      8.0 * static_cast<double>(t_total.bytes) / t_total.cpu_seconds;
  state.counters["goodput_bits_per_cpu_s"] = m;
  state.counters["sim_goodput_mbps"] = m_total.goodput_mbps;
  state.counters["tcp_goodput_bits_per_cpu_s"] = t;
  state.counters["tcp_sim_goodput_mbps"] = t_total.goodput_mbps;
  state.counters["x_tcp"] = m / t;
}
BENCHMARK(BM_MptcpGoodputPerCore)->Unit(benchmark::kMillisecond)->Iterations(2);

// ----------------------------------------------------------------- memory

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

// Sets current_side for the duration of a call into one stack.
class Side {
 public:
  explicit Side(int side) : saved_(current_side) { current_side = side; }
  ~Side() { current_side = saved_; }

 private:
  int saved_;
};

// Two stacks with a zero-delay wire between them, in order.
class BackToBack {
 public:
  struct App : mptcp::MptcpOwner {
    mptcp::MptcpConnection* c = nullptr;
    bool established = false;
    uint64_t received = 0;
    void OnEstablished(Time) override { established = true; }
    void OnReadable(Time now) override {
      uint8_t buffer[256];
      size_t n;
      while (c != nullptr && (n = c->Read(buffer, now)) > 0) received += n;
    }
  };

  explicit BackToBack(size_t connections) : apps_(2 * connections) {
    stack::StackConfig config[2];
    config[0].seed = 7;
    config[1].seed = 8;
    for (int i = 0; i < 2; ++i) {
      out_[i].queue = &to_[1 - i];
      Side side(i);
      stack_[i] = std::make_unique<stack::Stack>(config[i], &out_[i]);
    }
    Side side(1);
    stack_[1]->Listen(
        Ip("10.0.0.2"), 80, mptcp::MptcpConfig{},
        stack::Stack::Acceptor{
            [this](const tcp::TcpEndpoints&) -> mptcp::MptcpOwner* {
              return next_server_ < apps_.size() ? &apps_[next_server_]
                                                 : nullptr;
            },
            [this](mptcp::MptcpConnection* c) {
              apps_[next_server_++].c = c;
            }});
    next_server_ = connections;  // server apps are the second half
  }

  bool Open(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      Side side(0);
      auto c = stack_[0]->Connect(mptcp::MptcpConfig{}, Ip("10.0.0.1"),
                                  Ip("10.0.0.2"), 80, &apps_[i], now_);
      if (!c.ok()) return false;
      apps_[i].c = *c;
      Run();
    }
    // A few bytes each way: the MP_CAPABLE data phase completes and the
    // connections reach their steady idle state.
    const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
    for (size_t i = 0; i < n; ++i) {
      for (size_t k : {i, n + i}) {
        Side side(k < n ? 0 : 1);
        if (apps_[k].c == nullptr || apps_[k].c->Write(hello, now_) != 5) {
          return false;
        }
      }
    }
    Settle();
    for (size_t i = 0; i < 2 * n; ++i) {
      if (!apps_[i].established || apps_[i].received != 5 ||
          apps_[i].c->fallback()) {
        return false;
      }
    }
    return true;
  }

  bool Join(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      Side side(0);
      if (!stack_[0]->AddSubflow(apps_[i].c, Ip("10.0.1.1"), Ip("10.0.0.2"), 80,
                                 now_)) {
        return false;
      }
    }
    Settle();
    for (size_t i = 0; i < 2 * n; ++i) {
      if (apps_[i].c->subflow_count() != 2 ||
          apps_[i].c->active_subflows() != 2) {
        return false;
      }
    }
    return true;
  }

 private:
  struct Out : tcp::TcpOutput {
    std::deque<std::vector<uint8_t>>* queue = nullptr;
    void SendPacket(absl::Span<const uint8_t> packet) override {
      Side harness(-1);
      queue->emplace_back(packet.begin(), packet.end());
    }
  };

  // Delivers every queued packet.
  void Run() {
    bool any = true;
    while (any) {
      any = false;
      for (int i = 0; i < 2; ++i) {
        while (!to_[i].empty()) {
          std::vector<uint8_t> packet;
          {
            Side harness(-1);
            packet = std::move(to_[i].front());
            to_[i].pop_front();
          }
          Side side(i);
          stack_[i]->OnPacket(packet, now_);
          any = true;
        }
      }
    }
  }

  // Runs packets and timers until nothing is due within a minute: delayed
  // ACKs have gone out and the connections are idle.
  void Settle() {
    for (;;) {
      Run();
      const Time next =
          std::min(stack_[0]->next_deadline(), stack_[1]->next_deadline());
      if (next == kNever || next > now_ + Seconds(60)) return;
      now_ = std::max(now_, next);
      for (int i = 0; i < 2; ++i) {
        Side side(i);
        if (stack_[i]->next_deadline() <= now_) stack_[i]->OnTimer(now_);
      }
    }
  }

  std::deque<std::vector<uint8_t>> to_[2];  // to_[i]: packets for stack i
  Out out_[2];
  std::unique_ptr<stack::Stack> stack_[2];
  std::vector<App> apps_;  // clients, then servers
  size_t next_server_ = 0;
  Time now_ = TimeFromEpoch(Seconds(1));
};

void BM_MptcpIdleMemory(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  double per_conn[2] = {0, 0};
  double per_subflow[2] = {0, 0};
  double rss_conn = 0;
  double rss_subflow = 0;
  for (auto _ : state) {
    BackToBack pair(n);
    const int64_t before[2] = {live_bytes[1], live_bytes[2]};
    const int64_t rss_before = ResidentBytes();
    if (!pair.Open(n)) {
      state.SkipWithError("connections did not open");
      return;
    }
    const int64_t opened[2] = {live_bytes[1], live_bytes[2]};
    const int64_t rss_opened = ResidentBytes();
    if (!pair.Join(n)) {
      state.SkipWithError("subflows did not join");
      return;
    }
    const int64_t joined[2] = {live_bytes[1], live_bytes[2]};
    const int64_t rss_joined = ResidentBytes();
    const double count = static_cast<double>(n);
    for (int i = 0; i < 2; ++i) {
      per_conn[i] = static_cast<double>(opened[i] - before[i]) / count;
      per_subflow[i] = static_cast<double>(joined[i] - opened[i]) / count;
    }
    rss_conn = static_cast<double>(rss_opened - rss_before) / count;
    rss_subflow = static_cast<double>(rss_joined - rss_opened) / count;
  }
  const mptcp::MptcpConfig defaults;
  const double subflow_buffers = static_cast<double>(
      defaults.tcp.send_buffer_bytes + defaults.tcp.receive_buffer_bytes);
  const double data_buffers = static_cast<double>(
      defaults.send_buffer_bytes + defaults.receive_buffer_bytes);
  state.counters["heap_per_conn_client"] = per_conn[0];
  state.counters["heap_per_conn_server"] = per_conn[1];
  state.counters["heap_per_subflow_client"] = per_subflow[0];
  state.counters["heap_per_subflow_server"] = per_subflow[1];
  state.counters["buffers_per_conn"] = data_buffers + subflow_buffers;
  state.counters["buffers_per_subflow"] = subflow_buffers;
  state.counters["rss_per_conn_both_ends"] = rss_conn;
  state.counters["rss_per_subflow_both_ends"] = rss_subflow;
}
BENCHMARK(BM_MptcpIdleMemory)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace plait

BENCHMARK_MAIN();
