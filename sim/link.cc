#include "sim/link.h"

#include <algorithm>
#include <utility>

#include "absl/numeric/int128.h"

namespace plait::sim {

const char* DropCauseName(DropCause cause) {
  switch (cause) {
    case DropCause::kQueue:
      return "queue";
    case DropCause::kAqm:
      return "aqm";
    case DropCause::kRandomLoss:
      return "random_loss";
    case DropCause::kBurstLoss:
      return "burst_loss";
    case DropCause::kMtu:
      return "mtu";
    case DropCause::kDown:
      return "down";
  }
  return "unknown";
}

uint64_t LinkStats::total_dropped_packets() const {
  uint64_t total = 0;
  for (uint64_t n : dropped_packets) total += n;
  return total;
}

double Utilization(const LinkStats& earlier, const LinkStats& later) {
  const Duration interval = later.taken_at - earlier.taken_at;
  if (interval <= Duration::zero()) return 0;
  return ToSeconds(later.busy_time - earlier.busy_time) / ToSeconds(interval);
}

Link::Link(Simulator* sim, LinkConfig config, Random random,
           PacketSink* destination)
    : sim_(sim),
      config_(std::move(config)),
      random_(std::move(random)),
      destination_(destination) {
  if (config_.aqm == Aqm::kCoDel) codel_.emplace(config_.codel);
}

Link::~Link() {
  sim_->Cancel(transmit_event_);
  for (auto& [key, flight] : in_flight_) sim_->Cancel(flight.event);
  for (EventId id : flap_events_) sim_->Cancel(id);
}

Duration Link::TransmissionTime(size_t bytes) const {
  if (config_.rate_bps == 0) return Duration::zero();
  const absl::uint128 bit_ns = absl::uint128(bytes) * 8 * 1'000'000'000;
  const absl::uint128 ns = (bit_ns + config_.rate_bps - 1) / config_.rate_bps;
  return Nanoseconds(static_cast<int64_t>(absl::Uint128Low64(ns)));
}

void Link::Drop(const Packet& packet, DropCause cause) {
  const size_t i = static_cast<size_t>(cause);
  ++stats_.dropped_packets[i];
  stats_.dropped_bytes[i] += packet.size();
  if (drop_observer_) drop_observer_(packet, cause);
}

void Link::Receive(Packet packet) {
  ++stats_.offered_packets;
  stats_.offered_bytes += packet.size();
  if (!up_) {
    Drop(packet, DropCause::kDown);
    return;
  }
  if (config_.mtu != 0 && packet.size() > config_.mtu) {
    Drop(packet, DropCause::kMtu);
    return;
  }
  if (config_.queue_limit_bytes != 0 &&
      queue_bytes_ + packet.size() > config_.queue_limit_bytes) {
    Drop(packet, DropCause::kQueue);
    return;
  }
  queue_bytes_ += packet.size();
  queue_.push_back(Queued{std::move(packet), sim_->now()});
  TransmitNext();
  // After TransmitNext: a packet that goes straight to an idle serializer
  // never waited in the queue.
  stats_.max_queue_bytes = std::max(stats_.max_queue_bytes, queue_bytes_);
}

std::optional<Packet> Link::DequeueForTransmission() {
  if (!codel_.has_value()) {
    if (queue_.empty()) return std::nullopt;
    Packet packet = std::move(queue_.front().packet);
    queue_.pop_front();
    queue_bytes_ -= packet.size();
    return packet;
  }
  std::optional<Packet> popped;
  const bool send = codel_->Dequeue(
      sim_->now(),
      [&]() -> std::optional<CoDel::Popped> {
        if (queue_.empty()) return std::nullopt;
        const Time enqueued_at = queue_.front().enqueued_at;
        popped = std::move(queue_.front().packet);
        queue_.pop_front();
        queue_bytes_ -= popped->size();
        return CoDel::Popped{enqueued_at, queue_bytes_};
      },
      [&] {
        Drop(*popped, DropCause::kAqm);
        popped.reset();
      });
  if (!send) return std::nullopt;
  return popped;
}

void Link::TransmitNext() {
  while (!transmitting_.has_value()) {
    std::optional<Packet> packet = DequeueForTransmission();
    if (!packet.has_value()) return;
    const Duration tx = TransmissionTime(packet->size());
    if (tx == Duration::zero()) {
      PutOnWire(*std::move(packet));
      continue;
    }
    transmitting_ = std::move(packet);
    transmit_start_ = sim_->now();
    transmit_event_ =
        sim_->Schedule(sim_->now() + tx, [this] { FinishTransmission(); });
  }
}

void Link::FinishTransmission() {
  transmit_event_ = kNoEvent;
  stats_.busy_time += sim_->now() - transmit_start_;
  Packet packet = *std::move(transmitting_);
  transmitting_.reset();
  PutOnWire(std::move(packet));
  TransmitNext();
}

std::optional<DropCause> Link::DrawLoss() {
  if (config_.gilbert_elliott.has_value()) {
    const GilbertElliott& ge = *config_.gilbert_elliott;
    if (random_.Bernoulli(ge_bad_ ? ge.p_bad_to_good : ge.p_good_to_bad)) {
      ge_bad_ = !ge_bad_;
    }
    if (random_.Bernoulli(ge_bad_ ? ge.loss_in_bad : ge.loss_in_good)) {
      return DropCause::kBurstLoss;
    }
  }
  if (random_.Bernoulli(config_.loss)) return DropCause::kRandomLoss;
  return std::nullopt;
}

void Link::PutOnWire(Packet packet) {
  if (const std::optional<DropCause> cause = DrawLoss()) {
    Drop(packet, *cause);
    return;
  }
  Time arrival = sim_->now() + config_.delay;
  if (config_.jitter > Duration::zero()) {
    arrival += Nanoseconds(random_.UniformInRange(0, config_.jitter.count()));
  }
  if (random_.Bernoulli(config_.reorder_probability)) {
    arrival += config_.reorder_extra_delay;
  } else {
    arrival = std::max(arrival, last_fifo_arrival_);
    last_fifo_arrival_ = arrival;
  }
  const uint64_t key = next_in_flight_key_++;
  InFlight& flight = in_flight_[key];
  flight.packet = std::move(packet);
  flight.event = sim_->Schedule(arrival, [this, key] { Deliver(key); });
}

void Link::Deliver(uint64_t key) {
  auto it = in_flight_.find(key);
  Packet packet = std::move(it->second.packet);
  in_flight_.erase(it);
  ++stats_.delivered_packets;
  stats_.delivered_bytes += packet.size();
  if (destination_ != nullptr) destination_->Receive(std::move(packet));
}

void Link::SetUp(bool up) {
  if (up == up_) return;
  up_ = up;
  if (up) return;
  // Down: everything the link holds is lost, oldest first: the packets
  // propagating, then the one being transmitted, then the queue.
  for (auto& [key, flight] : in_flight_) {
    sim_->Cancel(flight.event);
    Drop(flight.packet, DropCause::kDown);
  }
  in_flight_.clear();
  if (transmitting_.has_value()) {
    sim_->Cancel(transmit_event_);
    transmit_event_ = kNoEvent;
    stats_.busy_time += sim_->now() - transmit_start_;
    Drop(*transmitting_, DropCause::kDown);
    transmitting_.reset();
  }
  for (Queued& queued : queue_) Drop(queued.packet, DropCause::kDown);
  queue_.clear();
  queue_bytes_ = 0;
  last_fifo_arrival_ = Time{};
  // CoDel restarts from its idle state when the link comes back.
  if (codel_.has_value()) codel_.emplace(config_.codel);
}

void Link::ScheduleFlaps(const std::vector<LinkFlap>& flaps) {
  for (const LinkFlap& flap : flaps) {
    const bool up = flap.up;
    flap_events_.push_back(sim_->Schedule(flap.at, [this, up] { SetUp(up); }));
  }
}

LinkStats Link::stats() const {
  LinkStats s = stats_;
  s.taken_at = sim_->now();
  if (transmitting_.has_value()) s.busy_time += sim_->now() - transmit_start_;
  return s;
}

}  // namespace plait::sim
