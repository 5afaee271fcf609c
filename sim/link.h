// A one-way link: a queue, a serializer of finite rate, and a propagation
// delay, with the impairments a path can have (jitter, random and bursty
// loss, reordering, an MTU, a drop-tail or CoDel queue, going down and up).
//
// A packet's life on the link:
//  1. Receive (offered): dropped at once if the link is down, if it is larger
//     than the MTU, or if it does not fit in the queue (drop-tail limit).
//     Otherwise it joins the FIFO queue.
//  2. When the serializer is free the head is dequeued (with CoDel, the AQM
//     may drop packets from the head here) and transmitted for
//     bytes * 8 / rate_bps seconds, rounded up to a whole nanosecond. The
//     packet being transmitted is not counted in the queue's bytes.
//  3. At the end of transmission the packet is on the wire: the loss models
//     decide whether it is lost (Gilbert-Elliott first, then the independent
//     loss probability); a lost packet still used the serializer.
//  4. It arrives after `delay` plus a uniform jitter in [0, jitter]. Arrivals
//     keep FIFO order (a packet never arrives before the one sent before it)
//     unless it is chosen for reordering (reorder_probability): it is then
//     delayed by reorder_extra_delay more and may be overtaken.
//  5. On arrival it is delivered to the destination sink.
//
// Taking the link down drops everything it holds: the queue, the packet
// being transmitted and the packets propagating; packets offered while it is
// down are dropped too (all counted as kDown). Up again, it starts empty.
//
// Each link draws from its own Random (give it sim.random().Fork(id)), so
// its losses do not depend on other links. The draws are, per packet sent
// on the wire: one for the Gilbert-Elliott transition and one for its loss
// (if configured), one for the independent loss (if loss > 0), then for a
// packet not lost one for the jitter (if jitter > 0) and one for reordering
// (if reorder_probability > 0).
#ifndef PLAIT_SIM_LINK_H_
#define PLAIT_SIM_LINK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "dataplane/base/time.h"
#include "sim/codel.h"
#include "sim/packet.h"
#include "sim/random.h"
#include "sim/simulator.h"

namespace plait::sim {

// The two-state Gilbert-Elliott burst-loss model. Before each packet the
// state may change (good -> bad with p_good_to_bad, bad -> good with
// p_bad_to_good); the packet is then lost with the new state's probability.
// With loss_in_good 0 and loss_in_bad 1, loss bursts are geometric with mean
// length 1 / p_bad_to_good.
struct GilbertElliott {
  double p_good_to_bad = 0;
  double p_bad_to_good = 1;
  double loss_in_good = 0;
  double loss_in_bad = 1;
};

enum class Aqm { kDropTail, kCoDel };

struct LinkConfig {
  uint64_t rate_bps = 0;  // 0: infinite (no serialization time, no queue)
  Duration delay{};       // propagation delay
  Duration jitter{};      // uniform extra delay in [0, jitter], FIFO kept
  double loss = 0;        // independent loss probability per packet
  std::optional<GilbertElliott> gilbert_elliott;
  double reorder_probability = 0;
  Duration reorder_extra_delay{};
  size_t mtu = 0;                // larger packets are dropped; 0: no limit
  size_t queue_limit_bytes = 0;  // drop-tail limit; 0: unlimited
  Aqm aqm = Aqm::kDropTail;
  CoDelConfig codel;  // with Aqm::kCoDel
};

enum class DropCause : uint8_t {
  kQueue,       // queue full (drop-tail limit)
  kAqm,         // dropped by CoDel
  kRandomLoss,  // LinkConfig::loss
  kBurstLoss,   // Gilbert-Elliott
  kMtu,         // larger than LinkConfig::mtu
  kDown,        // link down
};
inline constexpr size_t kNumDropCauses = 6;
// "queue", "aqm", "random_loss", "burst_loss", "mtu", "down".
const char* DropCauseName(DropCause cause);

// Counters since the link was built. busy_time counts serialization time,
// including the part of a transmission in progress at `taken_at`.
struct LinkStats {
  Time taken_at{};
  uint64_t offered_packets = 0;
  uint64_t offered_bytes = 0;
  uint64_t delivered_packets = 0;
  uint64_t delivered_bytes = 0;
  std::array<uint64_t, kNumDropCauses> dropped_packets{};
  std::array<uint64_t, kNumDropCauses> dropped_bytes{};
  Duration busy_time{};
  size_t max_queue_bytes = 0;

  uint64_t dropped(DropCause cause) const {
    return dropped_packets[static_cast<size_t>(cause)];
  }
  uint64_t total_dropped_packets() const;
};

// The fraction of [earlier.taken_at, later.taken_at] the serializer was busy;
// 0 for an empty interval.
double Utilization(const LinkStats& earlier, const LinkStats& later);

// A scheduled change of a link's state.
struct LinkFlap {
  Time at;
  bool up;
};

class Link : public PacketSink {
 public:
  // Called for every dropped packet, with the cause (for logs and traces).
  using DropObserver = absl::AnyInvocable<void(const Packet&, DropCause)>;

  // `sim` must outlive the link. `destination` (not owned) may be set later
  // with set_destination, but before the first packet arrives.
  Link(Simulator* sim, LinkConfig config, Random random,
       PacketSink* destination = nullptr);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link() override;

  void set_destination(PacketSink* destination) { destination_ = destination; }
  void set_drop_observer(DropObserver observer) {
    drop_observer_ = std::move(observer);
  }

  // Offers a packet to the link at sim->now().
  void Receive(Packet packet) override;

  // Takes the link down (dropping what it holds) or brings it back up.
  // Setting the state it already has does nothing.
  void SetUp(bool up);
  bool is_up() const { return up_; }
  // Schedules SetUp(flap.up) at each flap.at (which must not be in the past).
  void ScheduleFlaps(const std::vector<LinkFlap>& flaps);

  // The serialization time of `bytes` at this link's rate (0 if infinite).
  Duration TransmissionTime(size_t bytes) const;

  LinkStats stats() const;
  size_t queue_bytes() const { return queue_bytes_; }
  size_t queue_packets() const { return queue_.size(); }
  const LinkConfig& config() const { return config_; }
  // The burst-loss state (false: good), for tests.
  bool in_bad_state() const { return ge_bad_; }

 private:
  struct Queued {
    Packet packet;
    Time enqueued_at;
  };
  struct InFlight {
    Packet packet;
    EventId event = kNoEvent;
  };

  void Drop(const Packet& packet, DropCause cause);
  // Starts transmitting the next packet if the serializer is free.
  void TransmitNext();
  // Pops the next packet to send, applying the AQM; nullopt if none.
  std::optional<Packet> DequeueForTransmission();
  void FinishTransmission();
  // The packet leaves the serializer: loss, delay, jitter, reordering.
  void PutOnWire(Packet packet);
  void Deliver(uint64_t key);
  // Decides loss for one packet on the wire; the cause if lost.
  std::optional<DropCause> DrawLoss();

  Simulator* const sim_;  // Not owned.
  const LinkConfig config_;
  Random random_;
  PacketSink* destination_;  // Not owned.
  DropObserver drop_observer_;

  bool up_ = true;
  std::deque<Queued> queue_;
  size_t queue_bytes_ = 0;
  std::optional<CoDel> codel_;
  // The packet being serialized, and the event that ends its transmission.
  std::optional<Packet> transmitting_;
  Time transmit_start_{};
  EventId transmit_event_ = kNoEvent;
  // Packets propagating, by a running key (ordered, so going down drops them
  // in the order they were sent).
  std::map<uint64_t, InFlight> in_flight_;
  uint64_t next_in_flight_key_ = 0;
  Time last_fifo_arrival_{};
  bool ge_bad_ = false;
  std::vector<EventId> flap_events_;

  LinkStats stats_;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_LINK_H_
