#include "dataplane/proxy/socket_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "dataplane/runtime/errno_status.h"

namespace plait::proxy {
namespace {

socklen_t ToSockaddr(const TcpAddress& a, sockaddr_storage* storage) {
  std::memset(storage, 0, sizeof(*storage));
  if (a.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a.port);
    std::memcpy(&sin->sin_addr, a.address.bytes().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(a.port);
  std::memcpy(&sin6->sin6_addr, a.address.bytes().data(), 16);
  return sizeof(sockaddr_in6);
}

std::string Describe(const TcpAddress& a) {
  return a.address.is_v4()
             ? absl::StrCat(a.address.ToString(), ":", a.port)
             : absl::StrCat("[", a.address.ToString(), "]:", a.port);
}

absl::StatusOr<runtime::ScopedFd> NewSocket(const TcpAddress& a) {
  const int fd = socket(a.address.is_v4() ? AF_INET : AF_INET6,
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return runtime::ErrnoStatus("socket(SOCK_STREAM)", errno);
  runtime::ScopedFd owned(fd);
  // The proxy writes what MPTCP delivers in large batches; Nagle would only
  // delay the tail of each.
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return owned;
}

absl::StatusOr<TcpAddress> FromSockaddr(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    return TcpAddress{wire::IpAddress::V4Bytes(absl::MakeConstSpan(
                          reinterpret_cast<const uint8_t*>(&sin->sin_addr), 4)),
                      ntohs(sin->sin_port)};
  }
  if (storage.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    return TcpAddress{
        wire::IpAddress::V6Bytes(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(&sin6->sin6_addr), 16)),
        ntohs(sin6->sin6_port)};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("address family ", storage.ss_family, " is not IP"));
}

}  // namespace

absl::StatusOr<runtime::ScopedFd> ListenTcp(const TcpAddress& local,
                                            int backlog) {
  auto fd = NewSocket(local);
  if (!fd.ok()) return fd.status();
  const int one = 1;
  setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_storage storage;
  const socklen_t length = ToSockaddr(local, &storage);
  if (bind(fd->get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    return runtime::ErrnoStatus(absl::StrCat("bind(", Describe(local), ")"),
                                errno);
  }
  if (listen(fd->get(), backlog) != 0) {
    return runtime::ErrnoStatus(absl::StrCat("listen(", Describe(local), ")"),
                                errno);
  }
  return fd;
}

absl::StatusOr<uint16_t> LocalPort(int fd) {
  sockaddr_storage storage;
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return runtime::ErrnoStatus("getsockname", errno);
  }
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
}

absl::StatusOr<runtime::ScopedFd> AcceptTcp(int listen_fd) {
  const int fd =
      accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return runtime::ScopedFd(fd);
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
      errno == EINTR) {
    return runtime::ScopedFd();
  }
  return runtime::ErrnoStatus("accept4", errno);
}

absl::StatusOr<runtime::ScopedFd> ConnectTcp(const TcpAddress& remote) {
  auto fd = NewSocket(remote);
  if (!fd.ok()) return fd.status();
  sockaddr_storage storage;
  const socklen_t length = ToSockaddr(remote, &storage);
  if (connect(fd->get(), reinterpret_cast<sockaddr*>(&storage), length) != 0 &&
      errno != EINPROGRESS) {
    return runtime::ErrnoStatus(absl::StrCat("connect(", Describe(remote), ")"),
                                errno);
  }
  return fd;
}

absl::StatusOr<TcpAddress> OriginalDestination(int fd) {
  // <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h> clash
  // with <netinet/in.h>; both options are 80 there.
  constexpr int kSoOriginalDst = 80;
  constexpr int kIp6tSoOriginalDst = 80;
  sockaddr_storage storage;
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return runtime::ErrnoStatus("getsockname", errno);
  }
  const bool v6 = storage.ss_family == AF_INET6;
  std::memset(&storage, 0, sizeof(storage));
  length = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getsockopt(fd, v6 ? SOL_IPV6 : SOL_IP,
                 v6 ? kIp6tSoOriginalDst : kSoOriginalDst, &storage,
                 &length) != 0) {
    return runtime::ErrnoStatus(
        v6 ? "getsockopt(IP6T_SO_ORIGINAL_DST)" : "getsockopt(SO_ORIGINAL_DST)",
        errno);
  }
  return FromSockaddr(storage);
}

absl::StatusOr<TcpAddress> LocalAddress(int fd) {
  sockaddr_storage storage;
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return runtime::ErrnoStatus("getsockname", errno);
  }
  return FromSockaddr(storage);
}

int SocketError(int fd) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

void ResetAndClose(runtime::ScopedFd& fd) {
  if (!fd.valid()) return;
  const linger lg{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  fd.reset();
}

}  // namespace plait::proxy
