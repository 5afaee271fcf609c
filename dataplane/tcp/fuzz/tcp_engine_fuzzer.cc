// libFuzzer target for the TCP engine: two connections joined by a queue
// that the input drives (deliver, drop, duplicate, reorder, advance time,
// write, read, close, abort), plus segments crafted from the input and
// injected into either side (any flags, sequence and acknowledgment numbers
// near or far from the expected ones, any window, arbitrary option bytes
// and payload). The engine must never crash, read out of bounds (ASan) or
// hit undefined behaviour (UBSan), and must never ask for a timer that is
// already due after handling it (an event storm).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <vector>

#include "dataplane/cc/registry.h"
#include "dataplane/tcp/packet_builder.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/wire/segment.h"

namespace plait::tcp {
namespace {

// Reads the fuzz input as a stream of small integers; zeros once exhausted.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() << 8 | Byte()); }
  uint32_t U32() { return uint32_t{U16()} << 16 | U16(); }
  absl::Span<const uint8_t> Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    auto span = absl::MakeConstSpan(data_ + pos_, n);
    pos_ += n;
    return span;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "tcp_engine_fuzzer: %s\n", what);
  std::abort();
}

class Owner : public TcpOwner {
 public:
  TcpConnection* connection = nullptr;
  void OnReadable(Time now) override {
    uint8_t buffer[4096];
    while (connection != nullptr && connection->Read(buffer, now) > 0) {
    }
  }
};

struct Wire : public TcpOutput {
  std::deque<std::vector<uint8_t>>* queue;
  void SendPacket(absl::Span<const uint8_t> packet) override {
    if (queue->size() < 4096) queue->emplace_back(packet.begin(), packet.end());
  }
};

void Run(const uint8_t* data, size_t size) {
  Input in(data, size);
  TcpConfig config;
  config.send_buffer_bytes = 64 * 1024;
  config.receive_buffer_bytes = 32 * 1024;
  config.window_scale = 1;
  config.keepalive = (in.Byte() & 1) != 0;
  config.keepalive_idle = Seconds(5);
  config.sack = (in.Byte() & 1) != 0;
  config.timestamps = (in.Byte() & 1) != 0;
  config.congestion_control = (in.Byte() & 1) ? "reno" : "cubic";
  config.time_wait = Seconds(2);
  const TcpEndpoints a{wire::IpAddress::V4(0x0a000001), 1000,
                       wire::IpAddress::V4(0x0a000002), 80};
  const TcpEndpoints b{a.remote, a.remote_port, a.local, a.local_port};
  std::deque<std::vector<uint8_t>> queues[2];  // packets sent by side i
  Wire wires[2];
  wires[0].queue = &queues[0];
  wires[1].queue = &queues[1];
  Owner owners[2];
  std::unique_ptr<TcpConnection> sides[2];
  for (int i = 0; i < 2; ++i) {
    sides[i] = std::make_unique<TcpConnection>(
        config, i == 0 ? a : b, in.U32(),
        *cc::CreateCongestionControl(config.congestion_control, config.mss),
        &owners[i], &wires[i]);
    owners[i].connection = sides[i].get();
  }
  Time now = TimeFromEpoch(Seconds(1));
  sides[0]->Connect(now);
  bool server_open = false;
  std::vector<uint8_t> payload(70000, 0x5a);
  std::vector<uint8_t> packet(70000);

  auto deliver = [&](int to, absl::Span<const uint8_t> bytes) {
    auto segment = wire::ParseSegment(bytes);
    if (!segment.ok() || !segment->checksum_valid) return;
    if (to == 1 && !server_open && sides[1]->state() == TcpState::kClosed &&
        segment->tcp.has(wire::TcpHeader::kSyn)) {
      server_open = true;
      sides[1]->AcceptSyn(*segment, now);
      return;
    }
    sides[to]->OnSegment(*segment, now);
  };
  auto fire_timers = [&] {
    for (auto& side : sides) {
      for (int round = 0; side->next_deadline() <= now; ++round) {
        if (round > 1000) Fail("a timer stays due after being handled");
        side->OnTimer(now);
      }
    }
  };

  for (int step = 0; step < 2000 && !in.done(); ++step) {
    const uint8_t op = in.Byte();
    const int side = op & 1;
    switch ((op >> 1) % 10) {
      case 0:
      case 1: {  // deliver the oldest packet sent by `side`
        if (queues[side].empty()) break;
        std::vector<uint8_t> p = std::move(queues[side].front());
        queues[side].pop_front();
        deliver(1 - side, p);
        break;
      }
      case 2:  // drop it
        if (!queues[side].empty()) queues[side].pop_front();
        break;
      case 3:  // duplicate and reorder: deliver the newest first
        if (!queues[side].empty()) deliver(1 - side, queues[side].back());
        break;
      case 4:  // time passes
        now += Milliseconds(1 + in.U16() % 3000);
        fire_timers();
        break;
      case 5:
        sides[side]->Write(absl::MakeConstSpan(payload).subspan(0, in.U16()),
                           now);
        break;
      case 6: {
        uint8_t buffer[2048];
        sides[side]->Read(buffer, now);
        break;
      }
      case 7:
        if (in.Byte() < 16) {
          sides[side]->Abort(now);
        } else {
          sides[side]->Close(now);
        }
        break;
      default: {  // inject a crafted segment into `side`
        const TcpEndpoints& e = sides[side]->endpoints();
        TcpPacketSpec spec;
        spec.src = e.remote;
        spec.dst = e.local;
        spec.src_port = e.remote_port;
        spec.dst_port = e.local_port;
        // Near the peer's real numbers most of the time, anywhere otherwise.
        const uint32_t seq_base = sides[1 - side]->isn();
        const uint32_t ack_base = sides[side]->isn();
        spec.seq = (in.Byte() & 1) ? in.U32() : seq_base + in.U16();
        spec.ack = (in.Byte() & 1) ? in.U32() : ack_base + in.U16();
        spec.flags = in.Byte();
        spec.window = in.U16();
        uint8_t options[40];
        const size_t options_length = (in.Byte() % 11) * 4;
        auto option_bytes = in.Bytes(options_length);
        std::copy(option_bytes.begin(), option_bytes.end(), options);
        std::fill(options + option_bytes.size(), options + options_length, 1);
        spec.options = absl::MakeConstSpan(options, options_length);
        const size_t length = in.U16() % 3000;
        auto built = BuildTcpPacket(
            spec, length, [&](uint8_t* d) { std::fill(d, d + length, 0x33); },
            absl::MakeSpan(packet));
        if (built.ok()) deliver(side, absl::MakeConstSpan(packet.data(), *built));
        break;
      }
    }
    fire_timers();
  }
}

}  // namespace
}  // namespace plait::tcp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  plait::tcp::Run(data, size);
  return 0;
}
