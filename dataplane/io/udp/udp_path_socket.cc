#include "dataplane/io/udp/udp_path_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace plait::io::udp {
namespace {

absl::Status Errno(const char* syscall, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(syscall, ": ", std::strerror(error),
                                   " (errno ", error, ")"));
}

// Errors of one datagram (its destination or size), as opposed to errors of
// the socket: the datagram is dropped and sending goes on.
bool IsPerDatagramError(int error) {
  switch (error) {
    case EMSGSIZE:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
    case EINVAL:
    case EPERM:
    case EACCES:
    case ECONNREFUSED:
    case ENOBUFS:
      return true;
    default:
      return false;
  }
}

// Sets a kernel socket buffer: the FORCE option first (it ignores the
// rmem_max / wmem_max cap, but needs CAP_NET_ADMIN), else the plain one,
// which the kernel silently caps. 0: leave the default.
absl::Status SetKernelBuffer(int fd, int force_option, int option, int bytes,
                             const char* what) {
  if (bytes == 0) return absl::OkStatus();
  if (setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof(bytes)) == 0) {
    return absl::OkStatus();
  }
  if (setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) == 0) {
    return absl::OkStatus();
  }
  return Errno(what, errno);
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpPathSocket>> UdpPathSocket::Open(
    const UdpEndpoint& local, const Options& options) {
  if (options.batch == 0 || options.send_queue_datagrams == 0) {
    return absl::InvalidArgumentError("batch and send queue must be > 0");
  }
  if (options.kernel_receive_buffer_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("kernel_receive_buffer_bytes must be >= 0, got ",
                     options.kernel_receive_buffer_bytes));
  }
  if (options.kernel_send_buffer_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("kernel_send_buffer_bytes must be >= 0, got ",
                     options.kernel_send_buffer_bytes));
  }
  const bool v4 = local.address.is_v4();
  // Owned from here on: closed on every error return and on an exception
  // (the constructor allocates) until the socket object holds it.
  runtime::ScopedFd fd(socket(v4 ? AF_INET : AF_INET6,
                              SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                              IPPROTO_UDP));
  if (!fd.valid()) return Errno("socket", errno);
  const int one = 1;
  if (v4) {
    const int pmtu = IP_PMTUDISC_DO;
    if (setsockopt(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) <
        0) {
      return Errno("setsockopt(IP_MTU_DISCOVER)", errno);
    }
  } else {
    if (setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) <
        0) {
      return Errno("setsockopt(IPV6_V6ONLY)", errno);
    }
    if (setsockopt(fd.get(), IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one)) <
        0) {
      return Errno("setsockopt(IPV6_DONTFRAG)", errno);
    }
  }
  if (absl::Status s = SetKernelBuffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF,
                                       options.kernel_receive_buffer_bytes,
                                       "setsockopt(SO_RCVBUF)");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SetKernelBuffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF,
                                       options.kernel_send_buffer_bytes,
                                       "setsockopt(SO_SNDBUF)");
      !s.ok()) {
    return s;
  }
  sockaddr_storage address;
  const socklen_t length = ToSockaddr(local, &address);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) < 0) {
    const int error = errno;
    return Errno(absl::StrCat("bind(", local.ToString(), ")").c_str(), error);
  }
  socklen_t bound_length = sizeof(address);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address),
                  &bound_length) < 0) {
    return Errno("getsockname", errno);
  }
  auto bound = FromSockaddr(address, bound_length);
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<UdpPathSocket>(
      new UdpPathSocket(std::move(fd), *bound, options));
}

UdpPathSocket::UdpPathSocket(runtime::ScopedFd fd, const UdpEndpoint& local,
                             const Options& options)
    : fd_(std::move(fd)),
      local_(local),
      options_(options),
      queue_(options.send_queue_datagrams),
      headers_(options.batch),
      iovecs_(options.batch),
      addresses_(options.batch) {}

UdpPathSocket::~UdpPathSocket() = default;

absl::StatusOr<size_t> UdpPathSocket::ReceiveBatch(
    absl::Span<ReceivedDatagram> datagrams) {
  const size_t n = std::min(datagrams.size(), options_.batch);
  if (n == 0) return 0;
  for (size_t i = 0; i < n; ++i) {
    iovecs_[i] = {datagrams[i].buffer.data(), datagrams[i].buffer.size()};
    std::memset(&headers_[i], 0, sizeof(mmsghdr));
    headers_[i].msg_hdr.msg_name = &addresses_[i];
    headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
  int got;
  do {
    got = recvmmsg(fd_.get(), headers_.data(), n, MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    // ECONNREFUSED: an ICMP error for an earlier send, not a receive error.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED) {
      return 0;
    }
    return Errno("recvmmsg", errno);
  }
  for (int i = 0; i < got; ++i) {
    ReceivedDatagram& d = datagrams[i];
    const msghdr& h = headers_[i].msg_hdr;
    d.length = std::min<size_t>(headers_[i].msg_len, d.buffer.size());
    // What arrived, truncated or not.
    stats_.bytes_received += headers_[i].msg_len;
    d.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    // A UDP socket only reports its own family; should that ever fail, the
    // default endpoint matches no peer and the datagram is dropped.
    auto from = FromSockaddr(addresses_[i], h.msg_namelen);
    d.from = from.ok() ? *from : UdpEndpoint();
  }
  const size_t kept = got;
  stats_.received += kept;
  return kept;
}

bool UdpPathSocket::Enqueue(const UdpEndpoint& to,
                            absl::Span<const uint8_t> header,
                            absl::Span<const uint8_t> payload) {
  if (header.size() + payload.size() > options_.max_datagram_bytes) {
    ++stats_.too_big;
    return false;
  }
  if (count_ == queue_.size()) {
    ++stats_.queue_full;
    return false;
  }
  Slot& slot = queue_[(head_ + count_) % queue_.size()];
  slot.bytes.assign(header.begin(), header.end());
  slot.bytes.insert(slot.bytes.end(), payload.begin(), payload.end());
  slot.to_length = ToSockaddr(to, &slot.to);
  ++count_;
  return true;
}

void UdpPathSocket::PopFront(size_t n) {
  head_ = (head_ + n) % queue_.size();
  count_ -= n;
}

absl::StatusOr<UdpPathSocket::SendResult> UdpPathSocket::SendBatch() {
  SendResult result;
  while (count_ > 0) {
    // One call takes a contiguous run of the ring, at most `batch`.
    const size_t n = std::min({count_, options_.batch, queue_.size() - head_});
    for (size_t i = 0; i < n; ++i) {
      Slot& slot = queue_[head_ + i];
      iovecs_[i] = {slot.bytes.data(), slot.bytes.size()};
      std::memset(&headers_[i], 0, sizeof(mmsghdr));
      headers_[i].msg_hdr.msg_name = &slot.to;
      headers_[i].msg_hdr.msg_namelen = slot.to_length;
      headers_[i].msg_hdr.msg_iov = &iovecs_[i];
      headers_[i].msg_hdr.msg_iovlen = 1;
    }
    const int sent = sendmmsg(fd_.get(), headers_.data(), n, MSG_DONTWAIT);
    if (sent > 0) {
      ++stats_.send_batches;
      stats_.sent += sent;
      for (int i = 0; i < sent; ++i) stats_.bytes_sent += headers_[i].msg_len;
      result.sent += sent;
      PopFront(sent);
      continue;
    }
    const int error = sent < 0 ? errno : EAGAIN;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      ++stats_.would_block;
      result.would_block = true;
      break;
    }
    if (!IsPerDatagramError(error)) return Errno("sendmmsg", error);
    // sendmmsg fails only when its first datagram fails: drop that one.
    ++stats_.send_errors;
    result.last_error = Errno("sendmmsg", error);
    PopFront(1);
  }
  return result;
}

}  // namespace plait::io::udp
