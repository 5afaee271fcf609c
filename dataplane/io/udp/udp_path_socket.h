// One non-blocking UDP socket bound to a local path address: batched receive
// (recvmmsg) into caller-provided buffers and batched send (sendmmsg) from a
// bounded queue. Knows nothing of the encapsulation or of any event loop: the
// caller polls fd() and calls ReceiveBatch / SendBatch.
#ifndef PLAIT_DATAPLANE_IO_UDP_UDP_PATH_SOCKET_H_
#define PLAIT_DATAPLANE_IO_UDP_UDP_PATH_SOCKET_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/io/udp/udp_endpoint.h"
#include "dataplane/runtime/scoped_fd.h"

namespace plait::io::udp {

// One datagram slot for ReceiveBatch: `buffer` is the caller's memory; the
// other fields are filled in.
struct ReceivedDatagram {
  absl::Span<uint8_t> buffer;
  size_t length = 0;       // bytes received (at most buffer.size())
  bool truncated = false;  // the datagram was larger than the buffer
  UdpEndpoint from;
};

class UdpPathSocket {
 public:
  struct Options {
    // Datagrams queued for sending at most; more are dropped and counted
    // (TCP recovers a drop like any loss).
    size_t send_queue_datagrams = 512;
    // Datagrams per recvmmsg / sendmmsg call.
    size_t batch = 64;
    // Larger datagrams are refused by Enqueue (counted as too_big).
    size_t max_datagram_bytes = 65507;
    // The kernel's socket buffers (SO_RCVBUF / SO_SNDBUF), in bytes; 0 keeps
    // the system default (net.core.rmem_default, ~208 KiB: ~90 datagrams,
    // and an overflowing receive buffer looks like path loss). Set with
    // SO_RCVBUFFORCE / SO_SNDBUFFORCE when the process may (CAP_NET_ADMIN),
    // else capped by the kernel at net.core.rmem_max / wmem_max.
    int kernel_receive_buffer_bytes = 4 << 20;
    int kernel_send_buffer_bytes = 4 << 20;
  };
  struct Stats {
    uint64_t received = 0;
    uint64_t sent = 0;
    // UDP payload bytes of those datagrams (the encapsulation header
    // included): the path's traffic for plait_path_bytes_total.
    uint64_t bytes_received = 0;
    uint64_t bytes_sent = 0;
    uint64_t send_batches = 0;  // successful sendmmsg calls
    uint64_t queue_full = 0;    // Enqueue drops: queue at capacity
    uint64_t too_big = 0;       // Enqueue drops: over max_datagram_bytes
    uint64_t send_errors = 0;   // datagrams the kernel refused (dropped)
    uint64_t would_block = 0;   // SendBatch stopped by EAGAIN
  };
  struct SendResult {
    size_t sent = 0;
    // EAGAIN: the rest stays queued; wait for the fd to be writable.
    bool would_block = false;
    // The last per-datagram error (EMSGSIZE, ENETUNREACH, EPERM...); the
    // datagram was dropped and the rest was still sent.
    absl::Status last_error;
  };

  // Binds a UDP socket to `local` (port 0: the kernel picks one, see
  // local()). IPv6 sockets are IPV6_V6ONLY. Don't-fragment is set so that a
  // datagram over the path MTU fails (EMSGSIZE, counted) instead of being
  // fragmented. Errors name the syscall and errno; a negative kernel buffer
  // size is InvalidArgument.
  static absl::StatusOr<std::unique_ptr<UdpPathSocket>> Open(
      const UdpEndpoint& local, const Options& options);
  static absl::StatusOr<std::unique_ptr<UdpPathSocket>> Open(
      const UdpEndpoint& local) {
    return Open(local, Options());
  }
  ~UdpPathSocket();
  UdpPathSocket(const UdpPathSocket&) = delete;
  UdpPathSocket& operator=(const UdpPathSocket&) = delete;

  int fd() const { return fd_.get(); }
  // Datagrams per recvmmsg / sendmmsg call (Options::batch).
  size_t batch() const { return options_.batch; }
  const UdpEndpoint& local() const { return local_; }

  // Receives up to min(datagrams.size(), batch) datagrams without blocking;
  // 0 when none is waiting. Errors other than EAGAIN/EINTR name recvmmsg.
  absl::StatusOr<size_t> ReceiveBatch(absl::Span<ReceivedDatagram> datagrams);

  // Queues one datagram: `header` then `payload`, copied (the slot's buffer
  // is reused, so a steady state allocates nothing). False when dropped.
  bool Enqueue(const UdpEndpoint& to, absl::Span<const uint8_t> header,
               absl::Span<const uint8_t> payload);
  // Sends queued datagrams with sendmmsg until the queue is empty or the
  // socket would block. An error status only for errors of the socket
  // itself (EBADF, ENOTSOCK, EFAULT...), which leave the queue as it was.
  absl::StatusOr<SendResult> SendBatch();
  size_t queued() const { return count_; }
  bool full() const { return count_ == queue_.size(); }

  const Stats& stats() const { return stats_; }

 private:
  struct Slot {
    std::vector<uint8_t> bytes;
    sockaddr_storage to;
    socklen_t to_length = 0;
  };

  UdpPathSocket(runtime::ScopedFd fd, const UdpEndpoint& local,
                const Options& options);
  void PopFront(size_t n);

  runtime::ScopedFd fd_;  // first: closed if a later member fails to build
  UdpEndpoint local_;
  Options options_;
  // Ring of send slots: head_ is the oldest, count_ in use.
  std::vector<Slot> queue_;
  size_t head_ = 0;
  size_t count_ = 0;
  // Scratch arrays for the syscalls, sized once to `batch`.
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> addresses_;
  Stats stats_;
};

}  // namespace plait::io::udp

#endif  // PLAIT_DATAPLANE_IO_UDP_UDP_PATH_SOCKET_H_
