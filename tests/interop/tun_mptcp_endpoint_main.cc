// tun-mptcp-endpoint: a plait stack::Stack behind a TunDevice on an
// EventLoop, as an MPTCP client with two paths or as a server, against any
// MPTCP peer (tun_kernel_mptcp_test.sh runs it against the Linux kernel's).
//
// As a client it connects from the first local address to the first remote
// one and opens a second subflow (MP_JOIN) from the second local address to
// the second remote one once the connection is established. With --listen it
// accepts one connection on the first local address (the TUN device routes
// every --local address) and the peer's joins. Either way it waits (at most
// --join_wait_s) until --subflows subflows are established, so that a fast
// transfer cannot end before the join does. Then it sends --bytes of a
// pseudo-random stream while reading whatever the server sends, closes after
// the last byte (DATA_FIN), and reads until the server's DATA_FIN. After the
// connection closes it lingers (at most --linger_s) until every subflow has
// exchanged FINs, so that the server's side ends cleanly too instead of
// retransmitting its FIN to a stack that is gone. It prints
// one JSON line: SHA-256 of what it sent and of what it received, the
// counts, time and goodput, and the counters of the TUN device, the stack
// and the connection, and exits 0 only if the connection closed normally.
//
// Path management (tun_kernel_paths_test.sh): with --path_manager other
// than "explicit" the client opens no joins itself; the path manager does,
// from its --pm_endpoint endpoints and the peer's ADD_ADDRs within
// --max_subflows and --add_addr_accepted, and announces signal endpoints.
// --watch_link polls interfaces of this host (IFF_UP and IFF_RUNNING, i.e.
// carrier) and tells the stack when one goes down or comes back
// (Stack::OnLocalPathDown/Up by interface name), as a daemon would from
// netlink. --pause_at_bytes holds the sending after that many bytes until
// --pause_until_subflows subflows are established (at most --pause_max_s),
// so that a subflow that returns has bytes left to carry. --expect_fallback
// turns a fallback to TCP from a problem into the expected outcome (and its
// absence into a problem). The JSON line also holds the link events, the
// pause, the path manager's counters, and each subflow's bytes and the
// moment it was first established; stderr gets progress lines every
// --progress_ms and one line per subflow at the end.
#include <net/if.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dataplane/base/time.h"
#include "dataplane/io/tun/tun_device.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/stack/stack.h"
#include "dataplane/wire/ip_address.h"

ABSL_FLAG(std::string, tun, "plait%d", "TUN device name");
ABSL_FLAG(std::vector<std::string>, local,
          (std::vector<std::string>{"10.1.0.11", "10.2.0.11"}),
          "the stack's path addresses, the first for the initial subflow");
ABSL_FLAG(std::vector<std::string>, remote,
          (std::vector<std::string>{"10.1.0.2", "10.2.0.2"}),
          "the server's address on each path (same order as --local)");
ABSL_FLAG(int, port, 5201, "the server's port");
ABSL_FLAG(bool, listen, false,
          "accept one connection on the first --local address and --port "
          "instead of connecting");
ABSL_FLAG(int, subflows, 0,
          "subflows to wait for before sending (0: one per --local address)");
ABSL_FLAG(uint64_t, bytes, 16 << 20, "bytes to send");
ABSL_FLAG(bool, checksums, false, "ask for DSS checksums");
ABSL_FLAG(bool, no_routing, false, "leave link state and routes alone");
ABSL_FLAG(int, timeout_s, 300, "give up after this many seconds");
ABSL_FLAG(int, join_wait_s, 5,
          "wait at most this long for the subflows before sending");
ABSL_FLAG(int, linger_s, 5,
          "after the close, wait at most this long for the subflows' FINs");
ABSL_FLAG(std::string, path_manager, "explicit",
          "the connection's path manager (explicit, fullmesh, ndiffports); "
          "a client opens its joins itself (one per --local/--remote pair) "
          "only with explicit");
ABSL_FLAG(std::vector<std::string>, pm_endpoint, {},
          "path manager endpoints, ADDRESS[+signal][+subflow][+backup]"
          "[+fullmesh][+dev=IF][+port=N], ids 1, 2, ... in order");
ABSL_FLAG(int, max_subflows, 2, "path manager limit: subflows besides the "
          "initial one");
ABSL_FLAG(int, add_addr_accepted, 0,
          "path manager limit: remote addresses accepted from ADD_ADDR");
ABSL_FLAG(bool, expect_fallback, false,
          "the peer speaks plain TCP: falling back is expected, not falling "
          "back is a problem");
ABSL_FLAG(std::vector<std::string>, watch_link, {},
          "interfaces whose up/carrier state is reported to the stack as "
          "local path down/up (by interface name)");
ABSL_FLAG(uint64_t, pause_at_bytes, 0,
          "hold the sending after this many bytes (0: never) until "
          "--pause_until_subflows subflows are established");
ABSL_FLAG(int, pause_until_subflows, 2, "see --pause_at_bytes");
ABSL_FLAG(int, pause_max_s, 30, "hold the sending at most this long");
ABSL_FLAG(int, progress_ms, 0,
          "print a progress line to stderr this often (0: never)");

namespace plait {
namespace {

using runtime::EventLoop;

// Incremental SHA-256 (libcrypto).
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(context_, EVP_sha256(), nullptr);
  }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  void Update(absl::Span<const uint8_t> data) {
    EVP_DigestUpdate(context_, data.data(), data.size());
  }
  std::string Hex() {
    unsigned char digest[32];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_, digest, &length);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
      absl::StrAppendFormat(&hex, "%02x", digest[i]);
    }
    return hex;
  }

 private:
  EVP_MD_CTX* context_;
};

// The transfer, as the connection's application: writes a pseudo-random
// stream (xorshift64*) block by block, hashes what it writes and reads.
class Transfer : public mptcp::MptcpOwner {
 public:
  Transfer(uint64_t bytes, uint64_t seed) : total_(bytes), state_(seed | 1) {}

  // Data flows (both ways: reading is held back too) once started.
  void Start(Time now) {
    started_ = true;
    started_at_ = now;
  }
  bool started() const { return started_; }
  Time started_at() const { return started_at_; }

  void set_connection(mptcp::MptcpConnection* c) { connection_ = c; }
  void OnEstablished(Time now) override { established_ = true; }
  void OnReadable(Time now) override {
    if (started_) ReadAll(now);
  }
  void OnWritable(Time now) override {
    if (started_) WriteAll(now);
  }
  void OnClosed(Time now, mptcp::MptcpCloseReason reason) override {
    closed_ = true;
    close_reason_ = reason;
  }

  // The sending stops after `bytes` (written to the connection) until
  // Release().
  void HoldAt(uint64_t bytes) { hold_at_ = bytes; }
  void Release() { hold_at_ = UINT64_MAX; }
  bool holding() const {
    return generated_ >= hold_at_ && block_offset_ == block_.size();
  }

  void WriteAll(Time now) {
    while (connection_ != nullptr && !closing_) {
      if (block_offset_ == block_.size()) {
        if (generated_ >= hold_at_ && generated_ < total_) return;
        if (generated_ == total_) {
          connection_->Close(now);
          closing_ = true;
          sent_done_at_ = now;
          return;
        }
        NextBlock();
      }
      const size_t n = connection_->Write(
          absl::MakeConstSpan(block_).subspan(block_offset_), now);
      if (n == 0) return;
      block_offset_ += n;
    }
  }
  void ReadAll(Time now) {
    uint8_t buffer[65536];
    size_t n;
    while (connection_ != nullptr &&
           (n = connection_->Read(absl::MakeSpan(buffer), now)) > 0) {
      received_ += n;
      received_hash_.Update(absl::MakeConstSpan(buffer, n));
    }
  }

  bool established() const { return established_; }
  bool closed() const { return closed_; }
  mptcp::MptcpCloseReason close_reason() const { return close_reason_; }
  bool all_written() const { return closing_; }
  uint64_t sent() const { return generated_; }
  uint64_t received() const { return received_; }
  Time sent_done_at() const { return sent_done_at_; }
  std::string SentHash() { return sent_hash_.Hex(); }
  std::string ReceivedHash() { return received_hash_.Hex(); }

 private:
  void NextBlock() {
    uint64_t size = std::min<uint64_t>(65536, total_ - generated_);
    if (generated_ < hold_at_) size = std::min(size, hold_at_ - generated_);
    block_.resize(size);
    for (size_t i = 0; i < size; i += 8) {
      state_ ^= state_ >> 12;
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      const uint64_t word = state_ * 0x2545F4914F6CDD1DULL;
      for (size_t j = 0; j < 8 && i + j < size; ++j) {
        block_[i + j] = uint8_t(word >> (8 * j));
      }
    }
    sent_hash_.Update(block_);
    generated_ += size;
    block_offset_ = 0;
  }

  const uint64_t total_;
  uint64_t state_;
  mptcp::MptcpConnection* connection_ = nullptr;
  std::vector<uint8_t> block_;
  size_t block_offset_ = 0;
  uint64_t generated_ = 0;
  uint64_t hold_at_ = UINT64_MAX;
  uint64_t received_ = 0;
  bool established_ = false;
  bool started_ = false;
  Time started_at_ = kNever;
  bool closing_ = false;
  bool closed_ = false;
  mptcp::MptcpCloseReason close_reason_ = mptcp::MptcpCloseReason::kNormal;
  Time sent_done_at_ = kNever;
  Sha256 sent_hash_;
  Sha256 received_hash_;
};

absl::StatusOr<std::vector<wire::IpAddress>> ParseAll(
    const std::vector<std::string>& texts) {
  std::vector<wire::IpAddress> addresses;
  for (const std::string& text : texts) {
    absl::StatusOr<wire::IpAddress> a = wire::IpAddress::Parse(text);
    if (!a.ok()) return a.status();
    addresses.push_back(*a);
  }
  return addresses;
}

// ADDRESS[+signal][+subflow][+backup][+fullmesh][+dev=IF][+port=N].
absl::StatusOr<pm::Endpoint> ParseEndpoint(const std::string& text,
                                           uint8_t id) {
  std::vector<std::string> parts = absl::StrSplit(text, '+');
  pm::Endpoint e;
  e.id = id;
  absl::StatusOr<wire::IpAddress> address = wire::IpAddress::Parse(parts[0]);
  if (!address.ok()) return address.status();
  e.address = *address;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    int port = 0;
    if (p == "signal") {
      e.signal = true;
    } else if (p == "subflow") {
      e.subflow = true;
    } else if (p == "backup") {
      e.backup = true;
    } else if (p == "fullmesh") {
      e.fullmesh = true;
    } else if (p.rfind("dev=", 0) == 0) {
      e.interface = p.substr(4);
    } else if (p.rfind("port=", 0) == 0 && absl::SimpleAtoi(p.substr(5), &port) &&
               port > 0 && port < 65536) {
      e.port = uint16_t(port);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--pm_endpoint ", text, ": unknown flag '", p, "'"));
    }
  }
  return e;
}

// IFF_UP and IFF_RUNNING (carrier) of an interface of this namespace; an
// interface that is gone is down.
bool LinkUp(int fd, const std::string& name) {
  struct ifreq request;
  std::memset(&request, 0, sizeof(request));
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) return false;
  return (request.ifr_flags & IFF_UP) && (request.ifr_flags & IFF_RUNNING);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "tun-mptcp-endpoint: %s\n", status.ToString().c_str());
  return 2;
}

int Run() {
  auto local = ParseAll(absl::GetFlag(FLAGS_local));
  auto remote = ParseAll(absl::GetFlag(FLAGS_remote));
  if (!local.ok()) return Fail(local.status());
  if (!remote.ok()) return Fail(remote.status());
  const bool listen = absl::GetFlag(FLAGS_listen);
  const std::string path_manager = absl::GetFlag(FLAGS_path_manager);
  // Only the explicit client joins --local[i] to --remote[i] itself.
  const bool manual_joins = !listen && path_manager == "explicit";
  if (local->empty() || (!listen && remote->empty()) ||
      (manual_joins && local->size() != remote->size())) {
    return Fail(absl::InvalidArgumentError(
        "--local and --remote need the same number (>= 1) of addresses"));
  }
  pm::PathManagerConfig pm_config;
  pm_config.limits.max_subflows = absl::GetFlag(FLAGS_max_subflows);
  pm_config.limits.max_add_addr_accepted = absl::GetFlag(FLAGS_add_addr_accepted);
  for (const std::string& text : absl::GetFlag(FLAGS_pm_endpoint)) {
    auto e = ParseEndpoint(text, uint8_t(pm_config.endpoints.size() + 1));
    if (!e.ok()) return Fail(e.status());
    pm_config.endpoints.push_back(*e);
  }
  if (auto s = pm::ValidateConfig(pm_config); !s.ok()) return Fail(s);
  const size_t wanted_subflows = absl::GetFlag(FLAGS_subflows) > 0
                                     ? size_t(absl::GetFlag(FLAGS_subflows))
                                     : local->size();
  const uint16_t port = absl::GetFlag(FLAGS_port);
  std::random_device entropy;
  const uint64_t seed = (uint64_t(entropy()) << 32) | entropy();

  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return Fail(loop.status());
  std::unique_ptr<stack::Stack> stack;
  io::tun::TunDeviceConfig tun_config;
  tun_config.name = absl::GetFlag(FLAGS_tun);
  tun_config.path_addresses = *local;
  tun_config.no_routing = absl::GetFlag(FLAGS_no_routing);
  // Packets that are not TCP (the stack counts them as malformed), by
  // "PROTOCOL" or, for ICMP, "icmp TYPE/CODE": e.g. the host unreachable
  // errors a router sends back while a path is down.
  std::map<std::string, uint64_t> non_tcp;
  auto tun = io::tun::TunDevice::Open(
      tun_config, [&](absl::Span<const uint8_t> packet) {
        if (packet.size() >= 20 && (packet[0] >> 4) == 4 && packet[9] != 6) {
          const size_t header = (packet[0] & 0x0f) * 4;
          ++non_tcp[packet[9] == 1 && packet.size() >= header + 2
                        ? absl::StrCat("icmp ", packet[header], "/",
                                       packet[header + 1])
                        : absl::StrCat(int(packet[9]))];
        }
        stack->OnPacket(packet, (*loop)->Now());
      });
  if (!tun.ok()) return Fail(tun.status());
  stack::StackConfig stack_config;
  stack_config.seed = seed;
  stack = std::make_unique<stack::Stack>(stack_config, tun->get());

  bool stop = false;
  for (int signo : {SIGINT, SIGTERM}) {
    if (auto s = (*loop)->HandleSignal(signo, [&](int) { stop = true; });
        !s.ok()) {
      return Fail(s);
    }
  }
  bool want_write = false;
  if (auto s = (*loop)->Register(
          (*tun)->fd(), runtime::Interest::kRead,
          [&](runtime::Readiness ready) {
            if (ready.readable) {
              auto n = (*tun)->OnReadable();
              if (!n.ok())
                std::fprintf(stderr, "%s\n", n.status().ToString().c_str());
            }
          });
      !s.ok()) {
    return Fail(s);
  }
  const EventLoop::TimerId timer =
      (*loop)->CreateTimer([&] { stack->OnTimer((*loop)->Now()); });

  Transfer transfer(absl::GetFlag(FLAGS_bytes), seed);
  mptcp::MptcpConfig config;
  config.checksums = absl::GetFlag(FLAGS_checksums);
  // With the explicit path manager a client opens its subflows here, one
  // per extra path, as soon as the connection is established; a server
  // takes the peer's joins (within the path manager's limits). Other
  // path managers open and announce on their own.
  config.path_manager = path_manager;
  config.path_manager_config = pm_config;
  const Time start = (*loop)->Now();
  mptcp::MptcpConnection* connection = nullptr;
  if (listen) {
    stack->Listen((*local)[0], port, config,
                  stack::Stack::Acceptor{
                      [&](const tcp::TcpEndpoints&) -> mptcp::MptcpOwner* {
                        return connection == nullptr ? &transfer : nullptr;
                      },
                      [&](mptcp::MptcpConnection* c) {
                        connection = c;
                        transfer.set_connection(c);
                      }});
  } else {
    auto connected = stack->Connect(config, (*local)[0], (*remote)[0], port,
                                    &transfer, start);
    if (!connected.ok()) return Fail(connected.status());
    connection = *connected;
    transfer.set_connection(connection);
  }

  const Time give_up = start + Seconds(absl::GetFlag(FLAGS_timeout_s));
  Time established_at = kNever;
  Time closed_at = kNever;
  size_t joins_requested = 0;
  std::vector<std::string> problems;
  // Link watching.
  struct Watched {
    std::string name;
    bool up;
  };
  std::vector<Watched> watched;
  std::vector<std::string> link_events;
  int ioctl_fd = -1;
  if (!absl::GetFlag(FLAGS_watch_link).empty()) {
    ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (ioctl_fd < 0) return Fail(absl::InternalError("socket for ioctl"));
    for (const std::string& name : absl::GetFlag(FLAGS_watch_link)) {
      watched.push_back(Watched{name, LinkUp(ioctl_fd, name)});
      std::fprintf(stderr, "watching %s: %s\n", name.c_str(),
                   watched.back().up ? "up" : "down");
    }
  }
  Time next_link_poll = start;
  const uint64_t pause_at = absl::GetFlag(FLAGS_pause_at_bytes);
  if (pause_at > 0) transfer.HoldAt(pause_at);
  Time pause_began = kNever, pause_ended = kNever;
  std::string pause_end_reason;
  uint64_t pause_received_at_begin = 0;
  const Duration progress_every = Milliseconds(absl::GetFlag(FLAGS_progress_ms));
  Time next_progress = start;
  // When each subflow (by index) was first seen established.
  std::vector<Time> first_established;
  const auto established_subflows = [&]() {
    size_t n = 0;
    for (size_t i = 0; connection != nullptr && i < connection->subflow_count();
         ++i) {
      if (connection->subflow(i).state() == tcp::TcpState::kEstablished) ++n;
    }
    return n;
  };
  const auto all_subflows = [&](auto predicate) {
    if (connection == nullptr) return false;
    for (size_t i = 0; i < connection->subflow_count(); ++i) {
      if (!predicate(connection->subflow(i).state())) return false;
    }
    return true;
  };
  for (;;) {
    const Time now = (*loop)->Now();
    if (stop || now >= give_up) break;
    if (transfer.closed()) {
      if (closed_at == kNever) closed_at = now;
      // Our FIN acknowledged and the peer's received, on every subflow.
      const bool finished = all_subflows([](tcp::TcpState state) {
        return state == tcp::TcpState::kTimeWait ||
               state == tcp::TcpState::kClosed;
      });
      if (finished ||
          now - closed_at >= Seconds(absl::GetFlag(FLAGS_linger_s))) {
        break;
      }
    }
    if (transfer.established() && established_at == kNever) {
      established_at = now;
      for (size_t i = 1; i < local->size() && manual_joins; ++i) {
        if (stack->AddSubflow(connection, (*local)[i], (*remote)[i], port,
                              now)) {
          ++joins_requested;
        } else {
          problems.push_back(absl::StrCat("AddSubflow from ",
                                          (*local)[i].ToString(), " refused"));
        }
      }
    }
    if (transfer.established() && !transfer.started() &&
        ((connection->subflow_count() >= wanted_subflows &&
          all_subflows([](tcp::TcpState state) {
            return state == tcp::TcpState::kEstablished;
          })) ||
         now - established_at >= Seconds(absl::GetFlag(FLAGS_join_wait_s)))) {
      transfer.Start(now);
    }
    if (!watched.empty() && now >= next_link_poll) {
      next_link_poll = now + Milliseconds(20);
      for (Watched& w : watched) {
        const bool up = LinkUp(ioctl_fd, w.name);
        if (up == w.up) continue;
        w.up = up;
        const pm::LocalPath path{.interface = w.name};
        if (up) {
          stack->OnLocalPathUp(path, now);
        } else {
          stack->OnLocalPathDown(path, now);
        }
        const std::string event = absl::StrFormat(
            "{\"interface\":\"%s\",\"up\":%s,\"t\":%.3f,\"sent\":%d,"
            "\"received\":%d}",
            w.name, up ? "true" : "false", ToSeconds(now - start),
            transfer.sent(), transfer.received());
        link_events.push_back(event);
        std::fprintf(stderr, "link %s\n", event.c_str());
      }
    }
    if (connection != nullptr) {
      first_established.resize(connection->subflow_count(), kNever);
      for (size_t i = 0; i < connection->subflow_count(); ++i) {
        if (first_established[i] == kNever &&
            connection->subflow(i).state() == tcp::TcpState::kEstablished) {
          first_established[i] = now;
        }
      }
    }
    if (pause_at > 0 && transfer.started() && pause_ended == kNever) {
      if (pause_began == kNever && transfer.holding()) {
        pause_began = now;
        pause_received_at_begin = transfer.received();
        std::fprintf(stderr, "paused at %llu bytes sent (%llu received)\n",
                     (unsigned long long)transfer.sent(),
                     (unsigned long long)transfer.received());
      }
      if (pause_began != kNever) {
        const bool enough =
            established_subflows() >=
            size_t(absl::GetFlag(FLAGS_pause_until_subflows));
        if (enough ||
            now - pause_began >= Seconds(absl::GetFlag(FLAGS_pause_max_s))) {
          pause_ended = now;
          pause_end_reason = enough ? "subflows" : "timeout";
          transfer.Release();
          std::fprintf(stderr, "resumed after %.3f s (%s)\n",
                       ToSeconds(now - pause_began), pause_end_reason.c_str());
        }
      }
    }
    if (progress_every > Duration::zero() && now >= next_progress) {
      next_progress = now + progress_every;
      std::fprintf(stderr,
                   "progress t=%.3f sent=%llu received=%llu subflows=%zu "
                   "established=%zu\n",
                   ToSeconds(now - start),
                   (unsigned long long)transfer.sent(),
                   (unsigned long long)transfer.received(),
                   connection == nullptr ? size_t{0}
                                         : connection->subflow_count(),
                   established_subflows());
    }
    if (transfer.started()) {
      transfer.WriteAll(now);
      transfer.ReadAll(now);
    }
    if (auto s = (*tun)->Flush(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
    }
    if ((*tun)->WantsWritable() != want_write) {
      want_write = (*tun)->WantsWritable();
      (void)(*loop)->Modify((*tun)->fd(), want_write
                                              ? runtime::Interest::kReadWrite
                                              : runtime::Interest::kRead);
    }
    (*loop)->Rearm(timer, stack->next_deadline());
    if (auto s = (*loop)->RunOnce(Milliseconds(watched.empty() ? 100 : 20));
        !s.ok()) {
      return Fail(s);
    }
  }
  (*tun)->Flush().IgnoreError();
  const Time end = (*loop)->Now();

  if (connection == nullptr) {
    return Fail(absl::DeadlineExceededError("no connection was accepted"));
  }
  mptcp::MptcpConnection& c = *connection;
  if (stop) problems.push_back("interrupted");
  if (!transfer.closed()) problems.push_back("the connection did not close");
  if (transfer.closed() &&
      transfer.close_reason() != mptcp::MptcpCloseReason::kNormal) {
    problems.push_back(absl::StrCat(
        "closed: ", mptcp::MptcpCloseReasonName(transfer.close_reason())));
  }
  if (absl::GetFlag(FLAGS_expect_fallback)) {
    if (!c.fallback()) problems.push_back("did not fall back to TCP");
  } else if (c.fallback()) {
    problems.push_back("fell back to TCP");
  }
  if (pause_at > 0 && pause_end_reason == "timeout") {
    problems.push_back("the pause ended without the subflows");
  }
  if (transfer.sent() != absl::GetFlag(FLAGS_bytes)) {
    problems.push_back("did not send everything");
  }
  // From the first byte to the connection's close (DATA_FINs exchanged).
  const Time transfer_end = closed_at == kNever ? end : closed_at;
  const double seconds = transfer.started_at() == kNever
                             ? 0
                             : ToSeconds(transfer_end - transfer.started_at());
  std::vector<std::string> subflows;
  for (size_t i = 0; i < c.subflow_count(); ++i) {
    const tcp::TcpConnection& sf = c.subflow(i);
    const tcp::TcpStats& s = sf.stats();
    subflows.push_back(absl::StrFormat(
        "{\"local\":\"%s:%d\",\"remote\":\"%s:%d\",\"state\":\"%s\","
        "\"bytes_sent\":%d,\"bytes_retransmitted\":%d,\"rto\":%d,"
        "\"zero_window_probes\":%d,\"bytes_delivered\":%d,"
        "\"bytes_acked\":%d,\"backup\":%s,\"pm_id\":%d,"
        "\"established_at\":%.3f}",
        sf.endpoints().local.ToString(), sf.endpoints().local_port,
        sf.endpoints().remote.ToString(), sf.endpoints().remote_port,
        tcp::TcpStateName(sf.state()), s.bytes_sent, s.bytes_retransmitted,
        s.rto_count, s.zero_window_probes, s.bytes_delivered, s.bytes_acked,
        c.subflow_backup(i) ? "true" : "false",
        c.subflow_pm_id(i) ? int64_t(*c.subflow_pm_id(i)) : int64_t{-1},
        i < first_established.size() && first_established[i] != kNever
            ? ToSeconds(first_established[i] - start)
            : -1.0));
    std::fprintf(stderr,
                 "subflow %zu %s:%d -> %s:%d %s: sent %llu (retransmitted "
                 "%llu, acked %llu), received %llu, established at %.3f s\n",
                 i, sf.endpoints().local.ToString().c_str(),
                 sf.endpoints().local_port,
                 sf.endpoints().remote.ToString().c_str(),
                 sf.endpoints().remote_port, tcp::TcpStateName(sf.state()),
                 (unsigned long long)s.bytes_sent,
                 (unsigned long long)s.bytes_retransmitted,
                 (unsigned long long)s.bytes_acked,
                 (unsigned long long)s.bytes_delivered,
                 i < first_established.size() && first_established[i] != kNever
                     ? ToSeconds(first_established[i] - start)
                     : -1.0);
  }
  if (!all_subflows([](tcp::TcpState state) {
        return state == tcp::TcpState::kTimeWait ||
               state == tcp::TcpState::kClosed;
      })) {
    problems.push_back("a subflow did not finish its FIN exchange");
  }
  const auto& ts = (*tun)->stats();
  std::vector<std::string> drops;
  for (size_t d = 0; d < io::tun::TunDevice::kDropCount; ++d) {
    drops.push_back(absl::StrFormat(
        "\"%s\":%d",
        io::tun::TunDevice::DropName(static_cast<io::tun::TunDevice::Drop>(d)),
        ts.drops[d]));
  }
  const auto& ms = c.stats();
  const auto& ss = stack->stats();
  const pm::PathManagerStats& ps = c.path_manager().stats();
  const std::string paths_json = absl::StrFormat(
      "\"fallback\":%s,\"path_manager\":\"%s\",\"link_events\":[%s],"
      "\"pause\":{\"at_bytes\":%d,\"began\":%.3f,\"ended\":%.3f,"
      "\"reason\":\"%s\",\"received_at_begin\":%d},"
      "\"pm_stats\":{\"subflows_opened\":%d,\"subflows_recreated\":%d,"
      "\"join_failures\":%d,\"add_addr_accepted\":%d,"
      "\"add_addr_ignored\":%d,\"peer_joins_accepted\":%d,"
      "\"peer_joins_rejected\":%d,\"addresses_announced\":%d},"
      "\"signal_stats\":{\"add_addr_sent\":%d,\"add_addr_retransmitted\":%d,"
      "\"add_addr_received\":%d,\"add_addr_rejected\":%d,"
      "\"add_addr_echoes\":%d,\"subflows_opened_by_pm\":%d,"
      "\"subflow_open_failures\":%d,\"joins_refused\":%d},"
      "\"stack_joins\":%d,\"non_tcp\":{%s},",
      c.fallback() ? "true" : "false", c.path_manager().name(),
      absl::StrJoin(link_events, ","), pause_at,
      pause_began == kNever ? -1.0 : ToSeconds(pause_began - start),
      pause_ended == kNever ? -1.0 : ToSeconds(pause_ended - start),
      pause_end_reason, pause_received_at_begin, ps.subflows_opened,
      ps.subflows_recreated, ps.join_failures, ps.add_addr_accepted,
      ps.add_addr_ignored, ps.peer_joins_accepted, ps.peer_joins_rejected,
      ps.addresses_announced, ms.add_addr_sent, ms.add_addr_retransmitted,
      ms.add_addr_received, ms.add_addr_rejected, ms.add_addr_echoes,
      ms.subflows_opened_by_pm, ms.subflow_open_failures, ms.joins_refused,
      ss.joins,
      absl::StrJoin(non_tcp, ",", [](std::string* out, const auto& kv) {
        absl::StrAppend(out, "\"", kv.first, "\":", kv.second);
      }));
  absl::PrintF(
      "{\"ok\":%s,\"problems\":[%s],%s\"tun\":\"%s\",\"checksums\":%s,"
      "\"sent_bytes\":%d,\"sent_sha256\":\"%s\",\"received_bytes\":%d,"
      "\"received_sha256\":\"%s\",\"seconds\":%.3f,"
      "\"goodput_mbit_s\":{\"sent\":%.1f,\"received\":%.1f},"
      "\"joins_requested\":%d,\"subflows\":[%s],"
      "\"tun_stats\":{\"packets_in\":%d,\"bytes_in\":%d,\"packets_out\":%d,"
      "\"bytes_out\":%d,\"write_blocked\":%d,\"drops\":{%s}},"
      "\"stack_stats\":{\"bad_checksum\":%d,\"malformed\":%d,"
      "\"no_connection\":%d},"
      "\"mptcp_stats\":{\"checksum_failures\":%d,\"subflow_resets\":%d,"
      "\"bytes_reinjected\":%d,\"data_retransmit_timeouts\":%d,"
      "\"fallbacks_after_handshake\":%d}}\n",
      problems.empty() ? "true" : "false",
      problems.empty()
          ? ""
          : absl::StrCat("\"", absl::StrJoin(problems, "\",\""), "\"").c_str(),
      paths_json.c_str(), (*tun)->name().c_str(), c.checksums_enabled() ? "true" : "false",
      transfer.sent(), transfer.SentHash().c_str(), transfer.received(),
      transfer.ReceivedHash().c_str(), seconds,
      seconds > 0 ? transfer.sent() * 8 / seconds / 1e6 : 0.0,
      seconds > 0 ? transfer.received() * 8 / seconds / 1e6 : 0.0,
      joins_requested, absl::StrJoin(subflows, ",").c_str(), ts.packets_in,
      ts.bytes_in, ts.packets_out, ts.bytes_out, ts.write_blocked,
      absl::StrJoin(drops, ",").c_str(), ss.bad_checksum, ss.malformed,
      ss.no_connection, ms.checksum_failures, ms.subflow_resets,
      ms.bytes_reinjected, ms.data_retransmit_timeouts,
      ms.fallbacks_after_handshake);
  std::fflush(stdout);
  (void)(*loop)->Unregister((*tun)->fd());
  if (ioctl_fd >= 0) close(ioctl_fd);
  return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace plait

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return plait::Run();
}
