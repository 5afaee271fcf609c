#include "dataplane/daemon/udp_node.h"

#include <utility>

namespace plait::daemon {

absl::StatusOr<std::unique_ptr<UdpNode>> UdpNode::Create(
    runtime::EventLoop* loop, const io::udp::UdpTransportConfig& transport,
    const stack::StackConfig& stack) {
  std::unique_ptr<UdpNode> node(new UdpNode(loop));
  UdpNode* raw = node.get();
  auto created = io::udp::UdpTransport::Create(
      transport, [raw](absl::Span<const uint8_t> packet) {
        raw->stack_->OnPacket(packet, raw->loop_->Now());
      });
  if (!created.ok()) return created.status();
  node->transport_ = std::move(*created);
  node->stack_ = std::make_unique<stack::Stack>(stack, node->transport_.get());
  node->want_write_.assign(node->transport_->path_count(), false);
  for (size_t i = 0; i < node->transport_->path_count(); ++i) {
    absl::Status status = loop->Register(
        node->transport_->fd(i), runtime::Interest::kRead,
        [raw, i](runtime::Readiness readiness) { raw->OnPath(i, readiness); });
    if (!status.ok()) return status;
  }
  node->timer_ = loop->CreateTimer([raw] { raw->OnTimer(); });
  return node;
}

UdpNode::UdpNode(runtime::EventLoop* loop) : loop_(loop) {}

UdpNode::~UdpNode() {
  if (timer_ != runtime::EventLoop::kInvalidTimer) loop_->Cancel(timer_);
  if (transport_ != nullptr) {
    for (size_t i = 0; i < transport_->path_count(); ++i) {
      (void)loop_->Unregister(transport_->fd(i));
    }
  }
  // The stack's connections point at the transport: the stack goes first.
  stack_.reset();
}

void UdpNode::OnPath(size_t path, runtime::Readiness readiness) {
  in_callback_ = true;
  if (readiness.readable || readiness.error) {
    // A socket error (e.g. an ICMP port unreachable reported on the socket)
    // is returned by the next recvmmsg and cleared; the path stays open.
    (void)transport_->OnReadable(path);
  }
  in_callback_ = false;
  Finish();
}

void UdpNode::OnTimer() {
  in_callback_ = true;
  const Time now = loop_->Now();
  if (stack_->next_deadline() <= now) stack_->OnTimer(now);
  in_callback_ = false;
  Finish();
}

void UdpNode::Kick() {
  if (!in_callback_) Finish();
}

std::vector<PathCounters> UdpNode::path_counters() const {
  std::vector<PathCounters> paths;
  paths.reserve(transport_->path_count());
  for (size_t i = 0; i < transport_->path_count(); ++i) {
    const io::udp::UdpPathSocket::Stats& s = transport_->socket(i).stats();
    paths.push_back({transport_->inner_address(i), s.sent, s.received,
                     s.bytes_sent, s.bytes_received});
  }
  return paths;
}

void UdpNode::Finish() {
  if (!transport_->Flush().ok()) ++flush_errors_;
  for (size_t i = 0; i < transport_->path_count(); ++i) {
    const bool want = transport_->WantsWritable(i);
    if (want != want_write_[i]) {
      want_write_[i] = want;
      (void)loop_->Modify(transport_->fd(i), want
                                                 ? runtime::Interest::kReadWrite
                                                 : runtime::Interest::kRead);
    }
  }
  loop_->Rearm(timer_, stack_->next_deadline());
}

}  // namespace plait::daemon
