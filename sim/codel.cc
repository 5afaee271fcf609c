#include "sim/codel.h"

#include <cmath>

namespace plait::sim {

CoDel::CoDel(CoDelConfig config) : config_(config) {}

Time CoDel::ControlLaw(Time t, Duration interval, uint32_t count) {
  const double ns = static_cast<double>(interval.count()) /
                    std::sqrt(static_cast<double>(count == 0 ? 1 : count));
  return t + Nanoseconds(static_cast<int64_t>(ns));
}

CoDel::DoDequeueResult CoDel::DoDequeue(Time now, PopFn pop) {
  DoDequeueResult r;
  const std::optional<Popped> packet = pop();
  if (!packet.has_value()) {
    first_above_time_.reset();
    return r;
  }
  r.have_packet = true;
  const Duration sojourn = now - packet->enqueue_time;
  if (sojourn < config_.target ||
      packet->bytes_remaining <= config_.max_packet_bytes) {
    // Went below target: stay below for at least an interval.
    first_above_time_.reset();
  } else if (!first_above_time_.has_value()) {
    // Just went above target from below: if it stays above for an interval,
    // that is a standing queue.
    first_above_time_ = now + config_.interval;
  } else if (now >= *first_above_time_) {
    r.ok_to_drop = true;
  }
  return r;
}

bool CoDel::Dequeue(Time now, PopFn pop, DropFn drop) {
  DoDequeueResult r = DoDequeue(now, pop);
  if (!r.have_packet) {
    dropping_ = false;
    return false;
  }
  if (dropping_) {
    if (!r.ok_to_drop) {
      dropping_ = false;  // sojourn time below target: leave dropping state
    }
    // Time for the next drop (possibly several if dequeues were sparse).
    while (dropping_ && now >= drop_next_) {
      drop();
      ++drops_;
      ++count_;
      r = DoDequeue(now, pop);
      if (!r.ok_to_drop) {
        dropping_ = false;
      } else {
        drop_next_ = ControlLaw(drop_next_, config_.interval, count_);
      }
    }
  } else if (r.ok_to_drop) {
    // Enter the dropping state: drop this packet, send the next.
    drop();
    ++drops_;
    r = DoDequeue(now, pop);
    dropping_ = true;
    const uint32_t delta = count_ - lastcount_;
    count_ = 1;
    if (delta > 1 && now - drop_next_ < 16 * config_.interval) count_ = delta;
    drop_next_ = ControlLaw(now, config_.interval, count_);
    lastcount_ = count_;
  }
  return r.have_packet;
}

}  // namespace plait::sim
