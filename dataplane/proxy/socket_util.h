// The kernel TCP sockets of the application edge: non-blocking listeners,
// accepted and connecting sockets, and the abortive close that turns an
// MPTCP reset into a TCP RST. Errors name the syscall and the address.
#ifndef PLAIT_DATAPLANE_PROXY_SOCKET_UTIL_H_
#define PLAIT_DATAPLANE_PROXY_SOCKET_UTIL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "dataplane/runtime/scoped_fd.h"
#include "dataplane/wire/ip_address.h"

namespace plait::proxy {

struct TcpAddress {
  wire::IpAddress address;
  uint16_t port = 0;
};

// A non-blocking listening socket bound to `local` (SO_REUSEADDR, so that a
// restarted daemon binds again while old connections sit in TIME_WAIT).
absl::StatusOr<runtime::ScopedFd> ListenTcp(const TcpAddress& local,
                                            int backlog = 128);
// The port a bound socket got (for port 0).
absl::StatusOr<uint16_t> LocalPort(int fd);
// Accepts one connection as a non-blocking socket; an invalid ScopedFd when
// none is waiting (EAGAIN) or the one waiting went away (ECONNABORTED).
absl::StatusOr<runtime::ScopedFd> AcceptTcp(int listen_fd);
// Starts a non-blocking connect; the socket becomes writable when it
// completes, and ConnectResult tells how.
absl::StatusOr<runtime::ScopedFd> ConnectTcp(const TcpAddress& remote);
// The address and port an accepted connection was sent to before an
// iptables REDIRECT/DNAT rewrote it (netfilter's SO_ORIGINAL_DST, IPv4;
// IP6T_SO_ORIGINAL_DST, IPv6). Errors: the connection was not translated
// (no conntrack entry) or conntrack is not loaded. An untranslated
// connection may also come back as its own local address: callers compare
// with LocalAddress().
absl::StatusOr<TcpAddress> OriginalDestination(int fd);
// The local address and port of a connected socket (getsockname).
absl::StatusOr<TcpAddress> LocalAddress(int fd);
// The pending error of a socket (SO_ERROR), 0 when there is none.
int SocketError(int fd);
// Closes with SO_LINGER 0: the kernel sends a RST instead of a FIN.
void ResetAndClose(runtime::ScopedFd& fd);

}  // namespace plait::proxy

#endif  // PLAIT_DATAPLANE_PROXY_SOCKET_UTIL_H_
