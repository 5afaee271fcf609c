#include "dataplane/stack/stack.h"

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/tcp/packet_builder.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/tcp_header.h"

namespace plait::stack {
namespace {

using wire::TcpHeader;

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::array<uint8_t, 32> SecretFrom(uint64_t seed) {
  std::array<uint8_t, 32> secret{};
  uint64_t state = seed;
  for (int i = 0; i < 4; ++i) {
    wire::StoreBe64(secret.data() + 8 * i, SplitMix(state));
  }
  return secret;
}

const wire::MpJoinSyn* FindJoin(const wire::Segment& s) {
  for (const wire::MptcpOption& o : s.mptcp_options()) {
    if (const auto* j = std::get_if<wire::MpJoinSyn>(&o)) return j;
  }
  return nullptr;
}

}  // namespace

Stack::Stack(const StackConfig& config, tcp::TcpOutput* output)
    : config_(config),
      output_(output),
      isn_(SecretFrom(config.seed)),
      key_state_(config.seed * 0xd1b54a32d192ed03ull + 1) {}

Stack::~Stack() = default;

uint64_t Stack::NextKey() {
  // Like crypto::GenerateUniqueKey (a new key while its token is in use),
  // from a seeded generator so that runs repeat.
  uint64_t key = 0;
  for (int attempt = 0; attempt < crypto::kDefaultMaxKeyAttempts; ++attempt) {
    key = config_.key_candidates ? config_.key_candidates()
                                 : SplitMix(key_state_);
    if (key == 0) continue;
    if (!TokenInUse(crypto::DeriveFromKey(key).token)) break;
  }
  return key;
}

mptcp::MptcpConfig Stack::Prepare(const mptcp::MptcpConfig& config) {
  mptcp::MptcpConfig c = config;
  if (!c.key_source) c.key_source = [this] { return NextKey(); };
  return c;
}

uint16_t Stack::EphemeralPort(const wire::IpAddress& local,
                              const wire::IpAddress& remote,
                              uint16_t remote_port) {
  uint16_t port = next_port_;
  for (int tries = 0; tries < 16384; ++tries) {
    port = next_port_;
    next_port_ = next_port_ == 65535 ? 49152 : next_port_ + 1;
    if (!by_tuple_.contains(Key{local, port, remote, remote_port})) break;
  }
  return port;
}

uint32_t Stack::Isn(const tcp::TcpEndpoints& e, Time now) {
  return isn_.Generate(e.local, e.local_port, e.remote, e.remote_port, now);
}

void Stack::Register(mptcp::MptcpConnection* connection) {
  if (connection->local_token() != 0 && !connection->fallback()) {
    by_token_[connection->local_token()] = connection;
  }
}

void Stack::Listen(const wire::IpAddress& address, uint16_t port,
                   const mptcp::MptcpConfig& config, Acceptor acceptor) {
  listeners_[{address, port}] = Listener{config, std::move(acceptor)};
}

absl::StatusOr<mptcp::MptcpConnection*> Stack::Connect(
    const mptcp::MptcpConfig& config, const wire::IpAddress& local,
    const wire::IpAddress& remote, uint16_t remote_port,
    mptcp::MptcpOwner* owner, Time now) {
  if (absl::Status status = config.tcp.Validate(); !status.ok()) {
    return status;
  }
  if (live_.size() >= config_.max_connections) {
    ++stats_.refused;
    return absl::ResourceExhaustedError(
        absl::StrCat("connection limit reached (max_connections ",
                     config_.max_connections, ")"));
  }
  if (!BufferBudgetAllows(
          mptcp::MptcpConnection::ConnectionBufferBytes(config))) {
    ++stats_.refused;
    ++stats_.refused_for_memory;
    return absl::ResourceExhaustedError(absl::StrCat(
        "buffer memory budget reached (max_buffer_bytes ",
        config_.max_buffer_bytes, ", reserved ", reserved_buffer_bytes(),
        ", a connection needs ",
        mptcp::MptcpConnection::ConnectionBufferBytes(config), ")"));
  }
  const tcp::TcpEndpoints ends{local, EphemeralPort(local, remote, remote_port),
                               remote, remote_port};
  auto connection =
      std::make_unique<mptcp::MptcpConnection>(Prepare(config), owner, output_);
  mptcp::MptcpConnection* c = connection.get();
  connections_.push_back(std::move(connection));
  live_.push_back(c);
  const Key key{ends.local, ends.local_port, ends.remote, ends.remote_port};
  by_tuple_[key] = c;
  tuples_of_[c].push_back(key);
  c->set_subflow_opener(this);
  c->set_event_sink(config_.event_sink);
  c->Connect(ends, Isn(ends, now), now);
  Register(c);
  return c;
}

bool Stack::AddSubflow(mptcp::MptcpConnection* connection,
                       const wire::IpAddress& local,
                       const wire::IpAddress& remote, uint16_t remote_port,
                       Time now, bool backup) {
  return AddSubflow(connection, local, 0, remote, remote_port, now,
                    mptcp::JoinOptions{.backup = backup});
}

bool Stack::AddSubflow(mptcp::MptcpConnection* connection,
                       const wire::IpAddress& local, uint16_t local_port,
                       const wire::IpAddress& remote, uint16_t remote_port,
                       Time now, const mptcp::JoinOptions& join) {
  if (!tuples_of_.contains(connection)) return false;
  if (!BufferBudgetAllows(
          mptcp::MptcpConnection::SubflowBufferBytes(connection->config()))) {
    ++stats_.refused_for_memory;
    return false;
  }
  const tcp::TcpEndpoints ends{
      local,
      local_port != 0 ? local_port : EphemeralPort(local, remote, remote_port),
      remote, remote_port};
  const Key key{ends.local, ends.local_port, ends.remote, ends.remote_port};
  if (by_tuple_.contains(key)) return false;  // a fixed port already in use
  // Registered first: the engine sends the SYN at once, and an answer could
  // come back within the call in a loopback.
  by_tuple_[key] = connection;
  if (!connection->AddSubflow(ends, Isn(ends, now), now, join)) {
    by_tuple_.erase(key);
    return false;
  }
  tuples_of_[connection].push_back(key);
  return true;
}

bool Stack::OpenSubflow(mptcp::MptcpConnection* connection,
                        const pm::OpenSubflowAction& action, Time now) {
  return AddSubflow(connection, action.local, action.local_port, action.remote,
                    action.remote_port, now,
                    mptcp::JoinOptions{.backup = action.backup,
                                       .local_address_id = action.local_id,
                                       .remote_address_id = action.remote_id,
                                       .pm_id = action.id});
}

void Stack::ForgetSubflow(mptcp::MptcpConnection* connection,
                          const tcp::TcpEndpoints& ends) {
  const Key key{ends.local, ends.local_port, ends.remote, ends.remote_port};
  auto it = by_tuple_.find(key);
  if (it != by_tuple_.end() && it->second == connection) by_tuple_.erase(it);
  auto tuples = tuples_of_.find(connection);
  if (tuples == tuples_of_.end()) return;
  std::vector<Key>& keys = tuples->second;
  keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
}

void Stack::OnLocalPathDown(const pm::LocalPath& path, Time now) {
  const std::vector<mptcp::MptcpConnection*> live = live_;
  for (mptcp::MptcpConnection* c : live) c->OnLocalPathDown(path, now);
  Sweep();
}

void Stack::OnLocalPathUp(const pm::LocalPath& path, Time now) {
  const std::vector<mptcp::MptcpConnection*> live = live_;
  for (mptcp::MptcpConnection* c : live) c->OnLocalPathUp(path, now);
  Sweep();
}

void Stack::OnPacket(absl::Span<const uint8_t> packet, Time now) {
  auto segment = wire::ParseSegment(packet);
  if (!segment.ok()) {
    ++stats_.segments;
    ++stats_.malformed;
    return;
  }
  if (!segment->checksum_valid) {
    ++stats_.segments;
    ++stats_.bad_checksum;
    return;
  }
  OnSegment(*segment, now);
}

void Stack::OnSegment(const wire::Segment& s, Time now) {
  ++stats_.segments;
  auto it =
      by_tuple_.find(Key{s.ip.dst, s.tcp.dst_port, s.ip.src, s.tcp.src_port});
  if (it != by_tuple_.end()) {
    mptcp::MptcpConnection* c = it->second;
    if (c->OnSegment(s, now)) {
      Sweep();
      return;
    }
  }
  const bool syn = s.tcp.has(TcpHeader::kSyn) && !s.tcp.has(TcpHeader::kAck) &&
                   !s.tcp.has(TcpHeader::kRst);
  const tcp::TcpEndpoints ends{s.ip.dst, s.tcp.dst_port, s.ip.src,
                               s.tcp.src_port};
  if (syn && FindJoin(s) != nullptr) {
    // MP_JOIN: the connection is found by token, whatever the address.
    mptcp::MptcpConnection* joined = nullptr;
    auto owner = by_token_.find(FindJoin(s)->token);
    if (owner != by_token_.end() &&
        !BufferBudgetAllows(mptcp::MptcpConnection::SubflowBufferBytes(
            owner->second->config()))) {
      ++stats_.refused;
      ++stats_.refused_for_memory;
      mptcp::MptcpConnection::RefuseJoin(
          s, wire::TcpRstReason::kLackOfResources, output_);
      return;
    }
    const bool ok = mptcp::MptcpConnection::HandleJoinSyn(
        s, Isn(ends, now), now,
        [&](uint32_t token) -> mptcp::MptcpConnection* {
          auto t = by_token_.find(token);
          joined = t == by_token_.end() ? nullptr : t->second;
          return joined;
        },
        output_);
    if (ok && joined != nullptr) {
      const Key key{ends.local, ends.local_port, ends.remote, ends.remote_port};
      by_tuple_[key] = joined;
      tuples_of_[joined].push_back(key);
      ++stats_.joins;
    } else {
      ++stats_.refused;  // HandleJoinSyn has sent the RST
      ++(joined == nullptr ? stats_.joins_unknown_token : stats_.joins_refused);
    }
    return;
  }
  auto listener = listeners_.find({s.ip.dst, s.tcp.dst_port});
  if (syn && listener != listeners_.end()) {
    Listener& l = listener->second;
    const bool memory = BufferBudgetAllows(
        mptcp::MptcpConnection::ConnectionBufferBytes(l.config));
    if (!memory) ++stats_.refused_for_memory;
    mptcp::MptcpOwner* owner = live_.size() < config_.max_connections && memory
                                   ? l.acceptor.owner_for(ends)
                                   : nullptr;
    if (owner == nullptr) {
      ++stats_.refused;
      SendReset(s);
      return;
    }
    auto connection = std::make_unique<mptcp::MptcpConnection>(
        Prepare(l.config), owner, output_);
    mptcp::MptcpConnection* c = connection.get();
    connections_.push_back(std::move(connection));
    live_.push_back(c);
    const Key key{ends.local, ends.local_port, ends.remote, ends.remote_port};
    by_tuple_[key] = c;
    tuples_of_[c].push_back(key);
    c->set_subflow_opener(this);
    c->set_event_sink(config_.event_sink);
    if (l.acceptor.on_created) l.acceptor.on_created(c);
    c->AcceptSyn(ends, Isn(ends, now), s, now);
    Register(c);
    return;
  }
  if (!s.tcp.has(TcpHeader::kRst)) {
    ++stats_.no_connection;
    SendReset(s);
  }
}

void Stack::OnTimer(Time now) {
  // A copy: a timer may open or close connections.
  const std::vector<mptcp::MptcpConnection*> live = live_;
  for (mptcp::MptcpConnection* c : live) {
    if (c->next_deadline() <= now) c->OnTimer(now);
  }
  Sweep();
}

Time Stack::next_deadline() const {
  Time deadline = kNever;
  for (const mptcp::MptcpConnection* c : live_) {
    deadline = std::min(deadline, c->next_deadline());
  }
  return deadline;
}

void Stack::Sweep() {
  for (size_t i = 0; i < live_.size();) {
    mptcp::MptcpConnection* c = live_[i];
    bool done = c->closed() && c->next_deadline() == kNever;
    for (size_t k = 0; done && k < c->subflow_count(); ++k) {
      done = c->subflow(k).state() == tcp::TcpState::kClosed;
    }
    if (!done) {
      ++i;
      continue;
    }
    for (const Key& key : tuples_of_[c]) {
      auto it = by_tuple_.find(key);
      if (it != by_tuple_.end() && it->second == c) by_tuple_.erase(it);
    }
    tuples_of_.erase(c);
    auto t = by_token_.find(c->local_token());
    if (t != by_token_.end() && t->second == c) by_token_.erase(t);
    live_.erase(live_.begin() + static_cast<ptrdiff_t>(i));
    if (released_.contains(c)) Free(c);
  }
}

// Once per connection (Sweep runs per packet: nothing here scans them all).
void Stack::Free(const mptcp::MptcpConnection* connection) {
  released_.erase(connection);
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const auto& c) { return c.get() == connection; });
  if (it == connections_.end()) return;
  *it = std::move(connections_.back());
  connections_.pop_back();
}

absl::Status Stack::Release(const mptcp::MptcpConnection* connection) {
  const bool ours =
      std::any_of(connections_.begin(), connections_.end(),
                  [&](const auto& c) { return c.get() == connection; });
  if (!ours) {
    return absl::FailedPreconditionError(
        "Release: not a connection of this stack");
  }
  if (!connection->closed()) {
    return absl::FailedPreconditionError(
        "Release: the connection is not closed (Close or Abort it, and wait "
        "for OnClosed)");
  }
  released_.insert(connection);
  // Already out of live_ (its subflows are done): free it now; else Sweep
  // frees it when it leaves.
  if (std::find(live_.begin(), live_.end(), connection) == live_.end()) {
    Free(connection);
  } else {
    Sweep();
  }
  return absl::OkStatus();
}

size_t Stack::reserved_buffer_bytes() const {
  size_t total = 0;
  for (const mptcp::MptcpConnection* c : live_) {
    total += c->reserved_buffer_bytes();
  }
  return total;
}

bool Stack::BufferBudgetAllows(size_t bytes) const {
  return config_.max_buffer_bytes == 0 ||
         reserved_buffer_bytes() + bytes <= config_.max_buffer_bytes;
}

void Stack::SendReset(const wire::Segment& s) {
  std::array<uint8_t, 80> buffer;
  auto built = tcp::BuildResetReply(s, absl::MakeSpan(buffer));
  if (built.ok())
    output_->SendPacket(absl::MakeConstSpan(buffer.data(), *built));
}

}  // namespace plait::stack
