#include "dataplane/daemon/tun_node.h"

#include <utility>

namespace plait::daemon {

absl::StatusOr<std::unique_ptr<TunNode>> TunNode::Create(
    runtime::EventLoop* loop, const io::tun::TunDeviceConfig& device,
    const stack::StackConfig& stack) {
  std::unique_ptr<TunNode> node(new TunNode(loop));
  TunNode* raw = node.get();
  auto opened =
      io::tun::TunDevice::Open(device, [raw](absl::Span<const uint8_t> packet) {
        raw->stack_->OnPacket(packet, raw->loop_->Now());
      });
  if (!opened.ok()) return opened.status();
  node->device_ = std::move(*opened);
  node->stack_ = std::make_unique<stack::Stack>(stack, node->device_.get());
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
