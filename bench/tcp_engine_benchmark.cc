// The TCP engine's CPU cost per segment: two connections joined directly
// (no delay, no loss), one sending bulk data to the other. Every segment is
// built by the sender, parsed (ParseSegment, with its checksum) and taken in
// by the receiver; the ACKs are counted as segments too.
//
// The reference, measured in the same run: what any stack must do per
// segment at the least, copying the payload once and summing the Internet
// checksum over the packet. The "x_reference" counter is the engine's cost
// as a multiple of it.
#include <time.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "dataplane/cc/registry.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/segment.h"

namespace plait::tcp {
namespace {

// CPU time of this thread: the machines are shared, so wall time would
// measure the neighbours too.
double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

class Sink : public TcpOwner {
 public:
  TcpConnection* connection = nullptr;
  uint64_t received = 0;
  void OnReadable(Time now) override {
    uint8_t buffer[65536];
    size_t n;
    while ((n = connection->Read(buffer, now)) > 0) received += n;
  }
};

struct Queue : public TcpOutput {
  std::deque<std::vector<uint8_t>> packets;
  void SendPacket(absl::Span<const uint8_t> packet) override {
    packets.emplace_back(packet.begin(), packet.end());
  }
};

double ReferenceNanosPerSegment(uint64_t segments) {
  std::vector<uint8_t> source(1500, 0x5a);
  std::vector<uint8_t> destination(1500);
  const double start = ThreadSeconds();
  uint32_t sink = 0;
  for (uint64_t i = 0; i < segments; ++i) {
    source[i % 1500] = static_cast<uint8_t>(i);
    std::memcpy(destination.data(), source.data(), 1448);
    wire::InternetChecksum sum;
    sum.Add(destination);
    sink += sum.Finish();
  }
  benchmark::DoNotOptimize(sink);
  return (ThreadSeconds() - start) * 1e9 / static_cast<double>(segments);
}

void BM_TcpEngineBulkTransfer(benchmark::State& state) {
  const uint64_t bytes = 64ull << 20;
  const std::vector<uint8_t> data(1 << 20, 0xab);
  uint64_t segments = 0;
  double engine_seconds = 0;
  for (auto _ : state) {
    TcpConfig config;
    config.pacing = false;  // no clock runs here: as fast as the engine goes
    const TcpEndpoints a{wire::IpAddress::V4(0x0a000001), 1000,
                         wire::IpAddress::V4(0x0a000002), 80};
    const TcpEndpoints b{a.remote, a.remote_port, a.local, a.local_port};
    Queue queues[2];
    Sink sinks[2];
    TcpConnection client(config, a, 1, *cc::CreateCongestionControl("cubic", 1460),
                         &sinks[0], &queues[0]);
    TcpConnection server(config, b, 2, *cc::CreateCongestionControl("cubic", 1460),
                         &sinks[1], &queues[1]);
    sinks[0].connection = &client;
    sinks[1].connection = &server;
    Time now = TimeFromEpoch(Seconds(1));
    const double start = ThreadSeconds();
    client.Connect(now);
    bool accepted = false;
    uint64_t written = 0;
    while (sinks[1].received < bytes) {
      if (written < bytes) {
        written += client.Write(
            absl::MakeConstSpan(data).subspan(0, std::min<uint64_t>(
                                                     data.size(), bytes - written)),
            now);
      }
      bool moved = false;
      for (int from = 0; from < 2; ++from) {
        while (!queues[from].packets.empty()) {
          std::vector<uint8_t> packet = std::move(queues[from].packets.front());
          queues[from].packets.pop_front();
          auto segment = wire::ParseSegment(packet);
          ++segments;
          moved = true;
          if (from == 0 && !accepted) {
            accepted = true;
            server.AcceptSyn(*segment, now);
          } else {
            (from == 0 ? server : client).OnSegment(*segment, now);
          }
        }
      }
      now += Microseconds(10);
      for (TcpConnection* c : {&client, &server}) {
        if (c->next_deadline() <= now) c->OnTimer(now);
      }
      if (!moved && written >= bytes && queues[0].packets.empty() && queues[1].packets.empty() &&
          client.next_deadline() == kNever) {
        break;
      }
    }
    engine_seconds += (ThreadSeconds() - start);
    benchmark::DoNotOptimize(sinks[1].received);
  }
  const double ns_per_segment = engine_seconds * 1e9 / static_cast<double>(segments);
  state.counters["ns_per_segment"] = ns_per_segment;
  state.counters["reference_ns"] = ReferenceNanosPerSegment(segments);
  state.counters["x_reference"] = ns_per_segment / state.counters["reference_ns"];
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_TcpEngineBulkTransfer)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace plait::tcp

BENCHMARK_MAIN();
