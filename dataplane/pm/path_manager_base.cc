#include "dataplane/pm/path_manager_base.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace plait::pm {
namespace {

absl::Status NotEstablished() {
  return absl::FailedPreconditionError(
      "the MPTCP connection is not established yet");
}

// Whether a failure is worth retrying (file comment of path_manager.h).
bool Retriable(const SubflowFailure& failure) {
  switch (failure.reason) {
    case CloseReason::kTimeout:
      return true;
    case CloseReason::kReset:
      return !failure.tcprst_reason.has_value() || failure.tcprst_transient;
    default:
      return false;
  }
}

}  // namespace

PathManagerBase::PathManagerBase(const PathManagerConfig& config)
    : config_(config), endpoints_(config.endpoints) {}

// --- Helpers. ---------------------------------------------------------------

bool PathManagerBase::Established(Time now) {
  if (!established_) ++stats_.events_before_established;
  return established_;
}

const Endpoint* PathManagerBase::FindEndpoint(uint8_t id) const {
  for (const Endpoint& endpoint : endpoints_) {
    if (endpoint.id == id) return &endpoint;
  }
  return nullptr;
}

const RemoteAddress* PathManagerBase::FindRemote(uint8_t id) const {
  for (const RemoteAddress& remote : remotes_) {
    if (remote.id == id) return &remote;
  }
  return nullptr;
}

uint16_t PathManagerBase::RemotePort(const RemoteAddress& remote) const {
  return remote.port.value_or(initial_.remote_port);
}

PathManagerBase::Slot* PathManagerBase::FindSlot(uint32_t key) {
  for (Slot& slot : slots_) {
    if (slot.key == key) return &slot;
  }
  return nullptr;
}

uint8_t PathManagerBase::LocalIdOf(const wire::IpAddress& address) const {
  if (established_ && address == initial_.local) return kInitialAddressId;
  for (const Endpoint& endpoint : endpoints_) {
    if (endpoint.address == address) return endpoint.id;
  }
  return kInitialAddressId;
}

std::optional<std::string> PathManagerBase::InterfaceOf(
    const wire::IpAddress& address) const {
  for (const Endpoint& endpoint : endpoints_) {
    if (endpoint.address == address && endpoint.interface.has_value()) {
      return endpoint.interface;
    }
  }
  if (established_ && address == initial_.local) return initial_.interface;
  return std::nullopt;
}

bool PathManagerBase::PathIsUp(
    const wire::IpAddress& address,
    const std::optional<std::string>& interface) const {
  if (std::find(down_addresses_.begin(), down_addresses_.end(), address) !=
      down_addresses_.end()) {
    return false;
  }
  return !interface.has_value() || !down_interfaces_.contains(*interface);
}

bool PathManagerBase::PathMatches(const LocalPath& path,
                                  const wire::IpAddress& address,
                                  const std::optional<std::string>& interface) {
  if (path.address.has_value() && *path.address == address) return true;
  return path.interface.has_value() && interface.has_value() &&
         *path.interface == *interface;
}

int PathManagerBase::CountedSubflows() const {
  int count = 0;
  for (const auto& [id, subflow] : subflows_) {
    if (subflow.counted) ++count;
  }
  return count;
}

bool PathManagerBase::HasRoom() const {
  return CountedSubflows() < config_.limits.max_subflows;
}

bool PathManagerBase::SlotWaitsForTimer(const Slot& slot) const {
  return !slot.subflow.has_value() && !slot.disabled && !slot.gave_up &&
         slot.retry_at != Time::min() && PathIsUp(slot.local, slot.interface) &&
         (!slot.counted || HasRoom());
}

// --- Slots. -----------------------------------------------------------------

void PathManagerBase::AddInitialSlot() {
  Slot slot;
  slot.key = next_slot_key_++;
  slot.local_id = kInitialAddressId;
  slot.local = initial_.local;
  slot.interface = initial_.interface;
  slot.remote_id = kInitialAddressId;
  slot.remote = initial_.remote;
  slot.remote_port = initial_.remote_port;
  slot.counted = false;
  slot.opened_before = true;
  // An adopted connection may have lost its initial subflow already; the
  // slot is then opened like any missing one.
  if (auto it = subflows_.find(kInitialSubflowId); it != subflows_.end()) {
    slot.subflow = kInitialSubflowId;
    it->second.slot = slot.key;
  }
  slots_.push_back(std::move(slot));
}

void PathManagerBase::AddSlot(const Endpoint* endpoint, uint8_t remote_id,
                              uint16_t local_port, int port_index) {
  const RemoteAddress* remote = FindRemote(remote_id);
  if (remote == nullptr) return;
  Slot slot;
  if (endpoint != nullptr) {
    slot.endpoint_id = endpoint->id;
    slot.local = endpoint->address;
    slot.local_id = LocalIdOf(endpoint->address);
    slot.interface = endpoint->interface;
    slot.backup = endpoint->backup;
  } else {
    slot.local = initial_.local;
    slot.local_id = kInitialAddressId;
    slot.interface = initial_.interface;
  }
  if (slot.local.family() != remote->address.family()) return;
  slot.local_port = local_port;
  slot.port_index = port_index;
  slot.remote_id = remote_id;
  slot.remote = remote->address;
  slot.remote_port = RemotePort(*remote);
  for (const Slot& other : slots_) {
    if (other.local == slot.local && other.local_port == slot.local_port &&
        other.port_index == slot.port_index && other.remote == slot.remote &&
        other.remote_port == slot.remote_port) {
      return;
    }
  }
  slot.key = next_slot_key_++;
  slots_.push_back(std::move(slot));
}

void PathManagerBase::AnnounceEndpoint(const Endpoint& endpoint, Actions& out) {
  if (!announced_.insert(endpoint.id).second) return;
  out.push_back(AnnounceAddressAction{
      .id = endpoint.id, .address = endpoint.address, .port = endpoint.port});
  ++stats_.addresses_announced;
}

void PathManagerBase::OpenSlot(Time now, Slot& slot, Actions& out) {
  const SubflowId id = next_subflow_id_++;
  Subflow subflow;
  subflow.info = SubflowInfo{.id = id,
                             .local_id = slot.local_id,
                             .local = slot.local,
                             .local_port = slot.local_port,
                             .remote_id = slot.remote_id,
                             .remote = slot.remote,
                             .remote_port = slot.remote_port,
                             .backup = slot.backup};
  subflow.interface = slot.interface;
  subflow.slot = slot.key;
  subflow.counted = slot.counted;
  subflows_[id] = std::move(subflow);
  slot.subflow = id;
  slot.retry_at = Time::min();
  if (slot.opened_before) ++stats_.subflows_recreated;
  slot.opened_before = true;
  ++stats_.subflows_opened;
  out.push_back(OpenSubflowAction{.id = id,
                                  .local_id = slot.local_id,
                                  .local = slot.local,
                                  .local_port = slot.local_port,
                                  .interface = slot.interface,
                                  .remote_id = slot.remote_id,
                                  .remote = slot.remote,
                                  .remote_port = slot.remote_port,
                                  .backup = slot.backup});
}

void PathManagerBase::Reconcile(Time now, Actions& out) {
  if (!established_) return;
  for (Slot& slot : slots_) {
    if (slot.subflow.has_value() || slot.disabled || slot.gave_up) continue;
    if (!PathIsUp(slot.local, slot.interface)) continue;
    if (slot.retry_at > now) continue;
    if (slot.counted && !HasRoom()) continue;
    OpenSlot(now, slot, out);
  }
}

void PathManagerBase::SlotFailed(Time now, Slot& slot,
                                 const SubflowFailure& failure) {
  slot.subflow.reset();
  if (failure.reason == CloseReason::kPathDown) {
    // Wait for the path; the first open after it comes up is immediate.
    if (PathIsUp(slot.local, slot.interface)) {
      down_addresses_.push_back(slot.local);
    }
    slot.failures = 0;
    slot.retry_at = Time::min();
    return;
  }
  if (!Retriable(failure)) {
    slot.disabled = true;
    return;
  }
  ++slot.failures;
  if (slot.failures > config_.retry.max_retries) {
    slot.gave_up = true;
    ++stats_.retries_given_up;
    return;
  }
  Duration backoff = config_.retry.initial_backoff;
  for (int i = 1; i < slot.failures && backoff < config_.retry.max_backoff;
       ++i) {
    backoff *= 2;
  }
  slot.retry_at = now + std::min(backoff, config_.retry.max_backoff);
}

void PathManagerBase::CloseLive(SubflowId id, CloseCause cause, bool reset,
                                uint8_t reason, Actions& out) {
  auto it = subflows_.find(id);
  if (it == subflows_.end()) return;
  if (it->second.slot.has_value()) {
    if (Slot* slot = FindSlot(*it->second.slot); slot != nullptr) {
      slot->subflow.reset();
      if (cause == CloseCause::kPathDown) {
        slot->failures = 0;
        slot->retry_at = Time::min();
      } else {
        slot->disabled = true;
      }
    }
  }
  subflows_.erase(it);
  out.push_back(CloseSubflowAction{
      .id = id, .cause = cause, .reset = reset, .tcprst_reason = reason});
}

Actions PathManagerBase::SubflowEnded(Time now, SubflowId id,
                                      const SubflowFailure& failure,
                                      bool join_failed) {
  Actions out;
  auto it = subflows_.find(id);
  if (it == subflows_.end()) return out;
  if (join_failed) ++stats_.join_failures;
  const std::optional<uint32_t> slot_key = it->second.slot;
  subflows_.erase(it);
  if (slot_key.has_value()) {
    if (Slot* slot = FindSlot(*slot_key); slot != nullptr) {
      SlotFailed(now, *slot, failure);
    }
  }
  Reconcile(now, out);
  return out;
}

// --- Events. ----------------------------------------------------------------

Actions PathManagerBase::OnConnectionEstablished(
    Time now, const InitialSubflow& initial) {
  Actions out;
  if (established_) return out;
  established_ = true;
  initial_ = initial;
  remotes_.push_back(RemoteAddress{.id = kInitialAddressId,
                                   .address = initial.remote,
                                   .port = initial.remote_port});
  Subflow subflow;
  subflow.info = SubflowInfo{.id = kInitialSubflowId,
                             .local_id = kInitialAddressId,
                             .local = initial.local,
                             .local_port = initial.local_port,
                             .remote_id = kInitialAddressId,
                             .remote = initial.remote,
                             .remote_port = initial.remote_port,
                             .established = true};
  subflow.interface = initial.interface;
  subflow.counted = false;
  subflows_[kInitialSubflowId] = std::move(subflow);
  AfterEstablished(now, out);
  Reconcile(now, out);
  return out;
}

Actions PathManagerBase::OnAddAddr(Time now, const RemoteAddress& address) {
  Actions out;
  if (!Established(now)) return out;
  if (address.id == kInitialAddressId) {
    ++stats_.add_addr_duplicates;
    return out;
  }
  const uint16_t port = address.port.value_or(initial_.remote_port);
  for (const RemoteAddress& known : remotes_) {
    if (known.id == address.id ||
        (known.address == address.address && RemotePort(known) == port)) {
      ++stats_.add_addr_duplicates;
      return out;
    }
  }
  if (add_addr_accepted_ >= config_.limits.max_add_addr_accepted) {
    ++stats_.add_addr_ignored;
    return out;
  }
  ++add_addr_accepted_;
  ++stats_.add_addr_accepted;
  remotes_.push_back(address);
  AfterAddAddr(now, address, out);
  Reconcile(now, out);
  return out;
}

Actions PathManagerBase::OnRemoveAddr(Time now, absl::Span<const uint8_t> ids) {
  Actions out;
  if (!Established(now)) return out;
  for (uint8_t id : ids) {
    std::vector<SubflowId> doomed;
    for (const auto& [subflow_id, subflow] : subflows_) {
      if (subflow.info.remote_id == id) doomed.push_back(subflow_id);
    }
    for (SubflowId subflow_id : doomed) {
      CloseLive(subflow_id, CloseCause::kRemoteAddressRemoved, /*reset=*/true,
                kTcpRstUnspecified, out);
    }
    std::erase_if(slots_,
                  [id](const Slot& slot) { return slot.remote_id == id; });
    const size_t before = remotes_.size();
    std::erase_if(remotes_, [id](const RemoteAddress& remote) {
      return remote.id == id;
    });
    if (remotes_.size() != before && id != kInitialAddressId) {
      --add_addr_accepted_;
    }
  }
  Reconcile(now, out);
  return out;
}

Actions PathManagerBase::OnSubflowEstablished(Time now, SubflowId id) {
  Actions out;
  auto it = subflows_.find(id);
  if (it == subflows_.end()) return out;
  it->second.info.established = true;
  if (it->second.slot.has_value()) {
    if (Slot* slot = FindSlot(*it->second.slot); slot != nullptr) {
      slot->failures = 0;
    }
  }
  return out;
}

Actions PathManagerBase::OnSubflowClosed(Time now, SubflowId id,
                                         const SubflowFailure& failure) {
  return SubflowEnded(now, id, failure, /*join_failed=*/false);
}

Actions PathManagerBase::OnJoinFailed(Time now, SubflowId id,
                                      const SubflowFailure& failure) {
  return SubflowEnded(now, id, failure, /*join_failed=*/true);
}

absl::StatusOr<SubflowId> PathManagerBase::OnPeerJoin(Time now,
                                                      const PeerJoin& join) {
  if (!Established(now)) return NotEstablished();
  if (!HasRoom()) {
    ++stats_.peer_joins_rejected;
    return absl::ResourceExhaustedError(absl::StrCat(
        "limits.max_subflows (", config_.limits.max_subflows, ") reached"));
  }
  const SubflowId id = next_subflow_id_++;
  Subflow subflow;
  subflow.info = SubflowInfo{.id = id,
                             .local_id = LocalIdOf(join.local),
                             .local = join.local,
                             .local_port = join.local_port,
                             .remote_id = join.remote_id,
                             .remote = join.remote,
                             .remote_port = join.remote_port,
                             .backup = join.backup,
                             .peer_initiated = true};
  subflow.interface = InterfaceOf(join.local);
  subflows_[id] = std::move(subflow);
  ++stats_.peer_joins_accepted;
  return id;
}

absl::StatusOr<Actions> PathManagerBase::OnLocalEndpointAdded(
    Time now, const Endpoint& endpoint) {
  if (absl::Status status = ValidateEndpoint(endpoint, "endpoint");
      !status.ok()) {
    return status;
  }
  if (endpoints_.size() >= static_cast<size_t>(kMaxLimit)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("endpoints: already ", kMaxLimit, " endpoints"));
  }
  for (const Endpoint& other : endpoints_) {
    if (other.id == endpoint.id) {
      return absl::AlreadyExistsError(
          absl::StrCat("endpoint.id: ", endpoint.id, " is already used"));
    }
    if (other.address == endpoint.address && other.port == endpoint.port) {
      return absl::AlreadyExistsError(
          absl::StrCat("endpoint.address: ", endpoint.address.ToString(),
                       " is already endpoint ", other.id));
    }
  }
  endpoints_.push_back(endpoint);
  Actions out;
  if (!established_) return out;
  AfterEndpointAdded(now, endpoints_.back(), out);
  Reconcile(now, out);
  return out;
}

absl::StatusOr<Actions> PathManagerBase::OnLocalEndpointRemoved(Time now,
                                                                uint8_t id) {
  const Endpoint* endpoint = FindEndpoint(id);
  if (endpoint == nullptr) {
    return absl::NotFoundError(absl::StrCat("endpoint id ", id, ": unknown"));
  }
  const wire::IpAddress address = endpoint->address;
  Actions out;
  // Subflows from its slots and any other subflow from its address (explicit
  // or peer-initiated), except the initial one.
  std::vector<SubflowId> doomed;
  for (const auto& [subflow_id, subflow] : subflows_) {
    if (subflow_id == kInitialSubflowId) continue;
    bool from_endpoint = subflow.info.local == address;
    if (subflow.slot.has_value()) {
      for (const Slot& slot : slots_) {
        if (slot.key == *subflow.slot && slot.endpoint_id == id) {
          from_endpoint = true;
        }
      }
    }
    if (from_endpoint) doomed.push_back(subflow_id);
  }
  for (SubflowId subflow_id : doomed) {
    CloseLive(subflow_id, CloseCause::kEndpointRemoved, /*reset=*/true,
              kTcpRstAdministrativelyProhibited, out);
  }
  std::erase_if(slots_,
                [id](const Slot& slot) { return slot.endpoint_id == id; });
  if (announced_.erase(id) > 0) {
    out.push_back(RemoveAddressAction{.ids = {id}});
  }
  std::erase_if(endpoints_,
                [id](const Endpoint& endpoint) { return endpoint.id == id; });
  Reconcile(now, out);
  return out;
}

Actions PathManagerBase::OnLocalPathDown(Time now, const LocalPath& path) {
  Actions out;
  if (path.address.has_value() &&
      std::find(down_addresses_.begin(), down_addresses_.end(),
                *path.address) == down_addresses_.end()) {
    down_addresses_.push_back(*path.address);
  }
  if (path.interface.has_value()) down_interfaces_.insert(*path.interface);
  if (!Established(now)) return out;
  std::vector<SubflowId> doomed;
  for (const auto& [subflow_id, subflow] : subflows_) {
    if (!PathIsUp(subflow.info.local, subflow.interface)) {
      doomed.push_back(subflow_id);
    }
  }
  for (SubflowId subflow_id : doomed) {
    CloseLive(subflow_id, CloseCause::kPathDown, /*reset=*/true,
              kTcpRstUnspecified, out);
  }
  Reconcile(now, out);
  return out;
}

Actions PathManagerBase::OnLocalPathUp(Time now, const LocalPath& path) {
  Actions out;
  std::erase_if(down_addresses_, [&](const wire::IpAddress& address) {
    return PathMatches(path, address, InterfaceOf(address));
  });
  if (path.interface.has_value()) down_interfaces_.erase(*path.interface);
  if (!Established(now)) return out;
  for (Slot& slot : slots_) {
    if (PathMatches(path, slot.local, slot.interface)) {
      slot.failures = 0;
      slot.gave_up = false;
      slot.retry_at = Time::min();
    }
  }
  Reconcile(now, out);
  return out;
}

Actions PathManagerBase::OnTimer(Time now) {
  Actions out;
  Reconcile(now, out);
  return out;
}

Time PathManagerBase::next_deadline() const {
  Time deadline = kNever;
  for (const Slot& slot : slots_) {
    if (SlotWaitsForTimer(slot)) deadline = std::min(deadline, slot.retry_at);
  }
  return deadline;
}

// --- Requests. --------------------------------------------------------------

absl::StatusOr<Actions> PathManagerBase::OpenSubflow(
    Time now, const SubflowRequest& request) {
  if (!established_) return NotEstablished();
  wire::IpAddress local = initial_.local;
  std::optional<std::string> interface = initial_.interface;
  bool backup = false;
  if (request.local_id != kInitialAddressId) {
    const Endpoint* endpoint = FindEndpoint(request.local_id);
    if (endpoint == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "local_id: ", request.local_id, " is not a configured endpoint"));
    }
    local = endpoint->address;
    interface = endpoint->interface;
    backup = endpoint->backup;
  }
  const RemoteAddress* remote = FindRemote(request.remote_id);
  if (remote == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "remote_id: ", request.remote_id, " is not a known remote address"));
  }
  if (local.family() != remote->address.family()) {
    return absl::InvalidArgumentError(
        absl::StrCat("local ", local.ToString(), " and remote ",
                     remote->address.ToString(), " differ in family"));
  }
  if (!PathIsUp(local, interface)) {
    return absl::FailedPreconditionError(
        absl::StrCat("local path ", local.ToString(), " is down"));
  }
  if (!HasRoom()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "limits.max_subflows (", config_.limits.max_subflows, ") reached"));
  }
  const SubflowId id = next_subflow_id_++;
  const OpenSubflowAction open{.id = id,
                               .local_id = request.local_id,
                               .local = local,
                               .local_port = request.local_port,
                               .interface = interface,
                               .remote_id = request.remote_id,
                               .remote = remote->address,
                               .remote_port = RemotePort(*remote),
                               .backup = request.backup.value_or(backup)};
  Subflow subflow;
  subflow.info = SubflowInfo{.id = id,
                             .local_id = open.local_id,
                             .local = open.local,
                             .local_port = open.local_port,
                             .remote_id = open.remote_id,
                             .remote = open.remote,
                             .remote_port = open.remote_port,
                             .backup = open.backup};
  subflow.interface = interface;
  subflows_[id] = std::move(subflow);
  ++stats_.subflows_opened;
  return Actions{open};
}

absl::StatusOr<Actions> PathManagerBase::CloseSubflow(Time now, SubflowId id,
                                                      bool reset) {
  if (!subflows_.contains(id)) {
    return absl::NotFoundError(absl::StrCat("subflow ", id, ": unknown"));
  }
  Actions out;
  CloseLive(id, CloseCause::kRequested, reset,
            reset ? kTcpRstAdministrativelyProhibited : kTcpRstUnspecified,
            out);
  Reconcile(now, out);
  return out;
}

absl::StatusOr<Actions> PathManagerBase::Announce(Time now, uint8_t local_id) {
  if (!established_) return NotEstablished();
  const Endpoint* endpoint = FindEndpoint(local_id);
  if (endpoint == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("endpoint id ", local_id, ": unknown"));
  }
  if (announced_.contains(local_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("endpoint id ", local_id, ": already announced"));
  }
  Actions out;
  AnnounceEndpoint(*endpoint, out);
  return out;
}

absl::StatusOr<Actions> PathManagerBase::WithdrawAnnouncement(
    Time now, uint8_t local_id) {
  if (announced_.erase(local_id) == 0) {
    return absl::NotFoundError(
        absl::StrCat("endpoint id ", local_id, ": not announced"));
  }
  return Actions{RemoveAddressAction{.ids = {local_id}}};
}

absl::StatusOr<Actions> PathManagerBase::SetBackup(Time now, SubflowId id,
                                                   bool backup) {
  auto it = subflows_.find(id);
  if (it == subflows_.end()) {
    return absl::NotFoundError(absl::StrCat("subflow ", id, ": unknown"));
  }
  Actions out;
  if (it->second.info.backup != backup) {
    it->second.info.backup = backup;
    out.push_back(SetBackupAction{.id = id, .backup = backup});
  }
  return out;
}

absl::StatusOr<Actions> PathManagerBase::SetEndpointBackup(Time now, uint8_t id,
                                                           bool backup) {
  auto endpoint = std::find_if(
      endpoints_.begin(), endpoints_.end(),
      [id](const Endpoint& endpoint) { return endpoint.id == id; });
  if (endpoint == endpoints_.end()) {
    return absl::NotFoundError(absl::StrCat("endpoint id ", id, ": unknown"));
  }
  endpoint->backup = backup;
  for (Slot& slot : slots_) {
    if (slot.endpoint_id == id) slot.backup = backup;
  }
  Actions out;
  for (auto& [subflow_id, subflow] : subflows_) {
    if (subflow.info.local == endpoint->address &&
        subflow.info.backup != backup) {
      subflow.info.backup = backup;
      out.push_back(SetBackupAction{.id = subflow_id, .backup = backup});
    }
  }
  return out;
}

// --- Switching managers. ----------------------------------------------------

PathManagerState PathManagerBase::ExportState() const {
  PathManagerState state;
  state.established = established_;
  state.initial = initial_;
  state.subflows = Subflows();
  for (const RemoteAddress& remote : remotes_) {
    if (remote.id != kInitialAddressId)
      state.remote_addresses.push_back(remote);
  }
  state.announced.assign(announced_.begin(), announced_.end());
  for (const wire::IpAddress& address : down_addresses_) {
    state.down_paths.push_back(LocalPath{.address = address});
  }
  for (const std::string& interface : down_interfaces_) {
    state.down_paths.push_back(LocalPath{.interface = interface});
  }
  state.next_subflow_id = next_subflow_id_;
  return state;
}

Actions PathManagerBase::Adopt(Time now, const PathManagerState& state) {
  Actions out;
  for (const LocalPath& path : state.down_paths) {
    if (path.address.has_value() &&
        std::find(down_addresses_.begin(), down_addresses_.end(),
                  *path.address) == down_addresses_.end()) {
      down_addresses_.push_back(*path.address);
    }
    if (path.interface.has_value()) down_interfaces_.insert(*path.interface);
  }
  next_subflow_id_ = std::max(next_subflow_id_, state.next_subflow_id);
  if (!state.established || established_) return out;
  established_ = true;
  initial_ = state.initial;
  // Set before the policy hooks run, so they do not announce again.
  announced_.insert(state.announced.begin(), state.announced.end());
  for (const SubflowInfo& info : state.subflows) {
    Subflow subflow;
    subflow.info = info;
    subflow.interface =
        info.id == kInitialSubflowId ? initial_.interface : InterfaceOf(info.local);
    subflow.counted = info.id != kInitialSubflowId;
    subflows_[info.id] = std::move(subflow);
    next_subflow_id_ = std::max(next_subflow_id_, info.id + 1);
  }
  remotes_.push_back(RemoteAddress{.id = kInitialAddressId,
                                   .address = initial_.remote,
                                   .port = initial_.remote_port});
  for (const RemoteAddress& remote : state.remote_addresses) {
    if (remote.id == kInitialAddressId) continue;
    const uint16_t port = RemotePort(remote);
    const bool known = std::any_of(
        remotes_.begin(), remotes_.end(), [&](const RemoteAddress& other) {
          return other.id == remote.id ||
                 (other.address == remote.address && RemotePort(other) == port);
        });
    if (known) continue;
    // An address a kept subflow goes to stays whatever the limit: the
    // subflow is kept, and REMOVE_ADDR must still find it.
    const bool in_use =
        std::any_of(subflows_.begin(), subflows_.end(), [&](const auto& entry) {
          return entry.second.info.remote_id == remote.id;
        });
    if (!in_use && add_addr_accepted_ >= config_.limits.max_add_addr_accepted) {
      ++stats_.add_addr_ignored;
      continue;
    }
    ++add_addr_accepted_;
    remotes_.push_back(remote);
  }
  // The policy, as if the connection had been established under it and the
  // addresses had arrived one by one.
  AfterEstablished(now, out);
  const std::vector<RemoteAddress> remotes = remotes_;
  for (const RemoteAddress& remote : remotes) {
    if (remote.id != kInitialAddressId) AfterAddAddr(now, remote, out);
  }
  FillSlots(out);
  Reconcile(now, out);
  return out;
}

void PathManagerBase::FillSlots(Actions& out) {
  for (Slot& slot : slots_) {
    if (slot.subflow.has_value()) continue;
    for (auto& [id, subflow] : subflows_) {
      const SubflowInfo& info = subflow.info;
      // The initial subflow fills only the initial slot (AddInitialSlot);
      // the peer's joins fill none, as OnPeerJoin does not.
      if (subflow.slot.has_value() || id == kInitialSubflowId ||
          info.peer_initiated || info.local != slot.local ||
          info.remote != slot.remote || info.remote_port != slot.remote_port ||
          (slot.local_port != 0 && info.local_port != slot.local_port)) {
        continue;
      }
      slot.subflow = id;
      slot.opened_before = true;
      subflow.slot = slot.key;
      subflow.counted = slot.counted;
      // The policy's priority for that path (the endpoint's backup flag).
      if (subflow.info.backup != slot.backup) {
        subflow.info.backup = slot.backup;
        out.push_back(SetBackupAction{.id = id, .backup = slot.backup});
      }
      break;
    }
  }
}

// --- Introspection. ---------------------------------------------------------

std::vector<SubflowInfo> PathManagerBase::Subflows() const {
  std::vector<SubflowInfo> out;
  out.reserve(subflows_.size());
  for (const auto& [id, subflow] : subflows_) out.push_back(subflow.info);
  return out;
}

std::vector<RemoteAddress> PathManagerBase::RemoteAddresses() const {
  return remotes_;
}

}  // namespace plait::pm
