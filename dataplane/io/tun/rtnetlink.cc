#include "dataplane/io/tun/rtnetlink.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "dataplane/runtime/errno_status.h"

namespace plait::io::tun {
namespace {

// Room for a request: header, rtmsg or ifinfomsg, and two small attributes.
constexpr size_t kRequestBytes = 256;

struct Request {
  nlmsghdr header;
  char body[kRequestBytes - sizeof(nlmsghdr)];
};

// Appends attribute `type` with `size` bytes of `data` to `request`.
void AddAttribute(Request& request, uint16_t type, const void* data,
                  size_t size) {
  auto* attribute =
      reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&request) +
                                NLMSG_ALIGN(request.header.nlmsg_len));
  attribute->rta_type = type;
  attribute->rta_len = RTA_LENGTH(size);
  std::memcpy(RTA_DATA(attribute), data, size);
  request.header.nlmsg_len =
      NLMSG_ALIGN(request.header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
}

Request RouteRequest(uint16_t type, uint16_t flags, const LinkRoute& route) {
  Request request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  request.header.nlmsg_type = type;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  auto* message = static_cast<rtmsg*>(NLMSG_DATA(&request.header));
  message->rtm_family = route.address.is_v4() ? AF_INET : AF_INET6;
  message->rtm_dst_len = route.prefix_length;
  message->rtm_table = RT_TABLE_MAIN;
  message->rtm_protocol = RTPROT_STATIC;
  message->rtm_scope = RT_SCOPE_LINK;
  message->rtm_type = RTN_UNICAST;
  const auto bytes = route.address.bytes();
  AddAttribute(request, RTA_DST, bytes.data(), bytes.size());
  const uint32_t oif = route.ifindex;
  AddAttribute(request, RTA_OIF, &oif, sizeof(oif));
  return request;
}

std::string Describe(const LinkRoute& route) {
  return absl::StrCat(route.address.ToString(), "/", route.prefix_length,
                      " dev #", route.ifindex);
}

}  // namespace

absl::StatusOr<Rtnetlink> Rtnetlink::Open() {
  runtime::ScopedFd fd(
      socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return runtime::ErrnoStatus("socket(NETLINK_ROUTE)", errno);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return runtime::ErrnoStatus("bind(NETLINK_ROUTE)", errno);
  }
  return Rtnetlink(std::move(fd));
}

absl::Status Rtnetlink::Transact(void* request, uint32_t length,
                                 const char* what) {
  auto* header = static_cast<nlmsghdr*>(request);
  header->nlmsg_seq = sequence_++;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_.get(), request, length, 0,
             reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return runtime::ErrnoStatus(absl::StrCat("netlink send: ", what), errno);
  }
  // The acknowledgement is an NLMSG_ERROR carrying 0 or -errno; skip
  // anything that answers an earlier request.
  alignas(nlmsghdr) char buffer[8192];
  for (;;) {
    const ssize_t n = recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return runtime::ErrnoStatus(absl::StrCat("netlink recv: ", what), errno);
    }
    int remaining = static_cast<int>(n);
    for (auto* reply = reinterpret_cast<nlmsghdr*>(buffer);
         NLMSG_OK(reply, remaining); reply = NLMSG_NEXT(reply, remaining)) {
      if (reply->nlmsg_seq != header->nlmsg_seq) continue;
      if (reply->nlmsg_type != NLMSG_ERROR) continue;
      const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(reply));
      if (error->error == 0) return absl::OkStatus();
      return runtime::ErrnoStatus(what, -error->error);
    }
  }
}

absl::Status Rtnetlink::SetLinkUp(int ifindex) {
  Request request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  request.header.nlmsg_type = RTM_NEWLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* message = static_cast<ifinfomsg*>(NLMSG_DATA(&request.header));
  message->ifi_family = AF_UNSPEC;
  message->ifi_index = ifindex;
  message->ifi_flags = IFF_UP;
  message->ifi_change = IFF_UP;
  const std::string what = absl::StrCat("set link #", ifindex, " up");
  return Transact(&request, request.header.nlmsg_len, what.c_str());
}

absl::Status Rtnetlink::AddRoute(const LinkRoute& route) {
  Request request =
      RouteRequest(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route);
  const std::string what = absl::StrCat("add route ", Describe(route));
  return Transact(&request, request.header.nlmsg_len, what.c_str());
}

absl::Status Rtnetlink::DeleteRoute(const LinkRoute& route) {
  Request request = RouteRequest(RTM_DELROUTE, 0, route);
  const std::string what = absl::StrCat("delete route ", Describe(route));
  return Transact(&request, request.header.nlmsg_len, what.c_str());
}

}  // namespace plait::io::tun
