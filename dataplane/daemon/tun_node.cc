#include "dataplane/daemon/tun_node.h"

#include <cstring>
#include <utility>

namespace plait::daemon {

absl::StatusOr<std::unique_ptr<TunNode>> TunNode::Create(
    runtime::EventLoop* loop, const io::tun::TunDeviceConfig& device,
    const stack::StackConfig& stack) {
  std::unique_ptr<TunNode> node(new TunNode(loop));
  TunNode* raw = node.get();
  auto opened =
      io::tun::TunDevice::Open(device, [raw](absl::Span<const uint8_t> packet) {
        raw->Count(packet, /*sent=*/false);
        raw->stack_->OnPacket(packet, raw->loop_->Now());
      });
  if (!opened.ok()) return opened.status();
  node->device_ = std::move(*opened);
  for (const wire::IpAddress& address : device.path_addresses) {
    node->counters_.push_back({.address = address});
  }
  node->stack_ = std::make_unique<stack::Stack>(
      stack, static_cast<tcp::TcpOutput*>(node.get()));
  absl::Status status = loop->Register(
      node->device_->fd(), runtime::Interest::kRead,
      [raw](runtime::Readiness readiness) { raw->OnDevice(readiness); });
  if (!status.ok()) return status;
  node->registered_ = true;
  node->timer_ = loop->CreateTimer([raw] { raw->OnTimer(); });
  return node;
}

TunNode::TunNode(runtime::EventLoop* loop) : loop_(loop) {}

TunNode::~TunNode() {
  if (timer_ != runtime::EventLoop::kInvalidTimer) loop_->Cancel(timer_);
  if (registered_) (void)loop_->Unregister(device_->fd());
  // The stack's connections point at the device: the stack goes first.
  // Their last packets (e.g. RSTs) are written before the device closes.
  stack_.reset();
  if (device_ != nullptr) (void)device_->Flush();
}

void TunNode::OnDevice(runtime::Readiness readiness) {
  in_callback_ = true;
  if (readiness.readable || readiness.error) {
    if (!device_->OnReadable().ok()) ++read_errors_;
  }
  in_callback_ = false;
  // Also what a writable device is polled for: Finish flushes the queue.
  Finish();
}

void TunNode::OnTimer() {
  in_callback_ = true;
  const Time now = loop_->Now();
  if (stack_->next_deadline() <= now) stack_->OnTimer(now);
  in_callback_ = false;
  Finish();
}

void TunNode::Kick() {
  if (!in_callback_) Finish();
}

void TunNode::SendPacket(absl::Span<const uint8_t> ip_packet) {
  Count(ip_packet, /*sent=*/true);
  device_->SendPacket(ip_packet);
}

void TunNode::Count(absl::Span<const uint8_t> packet, bool sent) {
  if (packet.empty()) return;
  // The address fields of the fixed IPv4 and IPv6 headers.
  size_t offset, length;
  const uint8_t version = packet[0] >> 4;
  if (version == 4 && packet.size() >= 20) {
    offset = sent ? 12 : 16;
    length = 4;
  } else if (version == 6 && packet.size() >= 40) {
    offset = sent ? 8 : 24;
    length = 16;
  } else {
    return;
  }
  for (PathCounters& path : counters_) {
    const absl::Span<const uint8_t> address = path.address.bytes();
    if (address.size() != length ||
        std::memcmp(address.data(), packet.data() + offset, length) != 0) {
      continue;
    }
    if (sent) {
      ++path.packets_sent;
      path.bytes_sent += packet.size();
    } else {
      ++path.packets_received;
      path.bytes_received += packet.size();
    }
    return;
  }
}

void TunNode::Finish() {
  if (!device_->Flush().ok()) ++flush_errors_;
  if (device_->WantsWritable() != want_write_) {
    want_write_ = device_->WantsWritable();
    (void)loop_->Modify(device_->fd(), want_write_
                                           ? runtime::Interest::kReadWrite
                                           : runtime::Interest::kRead);
  }
  loop_->Rearm(timer_, stack_->next_deadline());
}

}  // namespace plait::daemon
