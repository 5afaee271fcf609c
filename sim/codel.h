// CoDel, "Controlled Delay" active queue management (RFC 8289), as pure
// logic: it owns no queue and reads no clock. The queue's owner (Link) calls
// Dequeue whenever it wants the next packet to send, and CoDel pops packets
// through a callback, looking at each one's enqueue time and at the bytes
// still queued, and decides which to drop, exactly as the RFC's pseudocode
// (section 5) does:
//
//  - a packet is "above target" if it waited at least `target` and more than
//    `max_packet_bytes` remain queued behind it; once packets have been above
//    target for `interval`, CoDel enters the dropping state and drops one;
//  - in the dropping state it drops the head packet at each time
//    drop_next = previous + interval / sqrt(count), count += 1, until a
//    packet is below target (or the queue empties), which leaves the state;
//  - on re-entering soon after leaving (within 16 intervals of the last
//    scheduled drop) count resumes from the number of drops of the last
//    cycle (count - lastcount) if that was more than 1, else 1 (the Linux
//    variant the RFC gives).
//
// interval / sqrt(count) is computed in double precision and truncated to
// whole nanoseconds (sqrt is exact in IEEE 754, so this is deterministic).
#ifndef PLAIT_SIM_CODEL_H_
#define PLAIT_SIM_CODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "dataplane/base/time.h"

namespace plait::sim {

struct CoDelConfig {
  Duration target = Milliseconds(5);
  Duration interval = Milliseconds(100);
  // MAXPACKET in the RFC: a queue holding at most this many bytes behind the
  // head is never above target (one packet cannot be a standing queue).
  size_t max_packet_bytes = 1500;
};

class CoDel {
 public:
  // What the queue reports for a packet it has just popped from its head.
  struct Popped {
    Time enqueue_time;
    size_t bytes_remaining;  // bytes still queued after this packet
  };
  // Removes the head packet and describes it; nullopt if the queue is empty.
  using PopFn = absl::FunctionRef<std::optional<Popped>()>;
  // Discards the packet most recently popped (CoDel dropped it).
  using DropFn = absl::FunctionRef<void()>;

  explicit CoDel(CoDelConfig config = {});

  // One RFC 8289 dequeue at `now`: pops one or more packets, calling `drop`
  // for each that is dropped. True if the packet popped last is to be sent;
  // false if the queue ran empty (nothing to send).
  bool Dequeue(Time now, PopFn pop, DropFn drop);

  // t + interval / sqrt(count), count >= 1.
  static Time ControlLaw(Time t, Duration interval, uint32_t count);

  const CoDelConfig& config() const { return config_; }
  bool dropping() const { return dropping_; }
  uint32_t count() const { return count_; }
  Time drop_next() const { return drop_next_; }
  uint64_t drops() const { return drops_; }

 private:
  struct DoDequeueResult {
    bool have_packet = false;
    bool ok_to_drop = false;
  };
  DoDequeueResult DoDequeue(Time now, PopFn pop);

  CoDelConfig config_;
  std::optional<Time> first_above_time_;
  Time drop_next_{};
  uint32_t count_ = 0;
  uint32_t lastcount_ = 0;
  bool dropping_ = false;
  uint64_t drops_ = 0;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_CODEL_H_
