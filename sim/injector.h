// An attacker on the path: for each TCP data packet it forwards, it may also
// inject garbage aimed at the same connection, at the same instant:
//  - a copy with one payload bit flipped and the checksum left stale;
//  - a copy shifted far out of the receive window (checksum fixed);
//  - a RST inside the window but not at the expected sequence number
//    (the blind reset RFC 5961 defends against);
//  - random bytes.
// A correct receiver drops or answers all of these (with a challenge ACK)
// and the real transfer goes on, byte for byte the same.
#ifndef PLAIT_SIM_INJECTOR_H_
#define PLAIT_SIM_INJECTOR_H_

#include <cstdint>

#include "sim/middlebox.h"
#include "sim/random.h"

namespace plait::sim {

class Injector : public PacketFilter {
 public:
  struct Config {
    double probability = 0.05;  // per data packet, for each kind of garbage
  };
  struct Stats {
    uint64_t bad_checksum = 0;
    uint64_t out_of_window = 0;
    uint64_t blind_reset = 0;
    uint64_t random_bytes = 0;
  };

  Injector(Config config, Random random, PacketSink* next = nullptr)
      : PacketFilter(next), config_(config), random_(random) {}

  void Receive(Packet packet) override;
  const Stats& stats() const { return stats_; }

 private:
  void Inject(const Packet& original, std::vector<uint8_t> bytes);

  Config config_;
  Random random_;
  Stats stats_;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_INJECTOR_H_
