// MPTCP path managers (RFC 8684 section 3.4; Linux net/mptcp/pm*.c) as
// event-driven pure logic. A path manager decides which subflows a connection
// should have and which local addresses it should announce; it never touches
// a socket, a clock or the network.
//
// Driving a path manager (the MPTCP connection's side of the contract):
//
//  * One PathManager per MPTCP connection, created with CreatePathManager()
//    (registry.h) from a PathManagerConfig (the endpoints and limits, like
//    `ip mptcp endpoint` / `ip mptcp limits`). The config is copied.
//  * The connection reports what happens by calling the On*() event methods,
//    and an operator (gRPC, CLI) may call the request methods (OpenSubflow,
//    CloseSubflow, Announce, ...). Every call is given the current time and
//    returns a list of Actions. The connection executes the actions in order
//    before making the next call into the path manager.
//  * Timers are deadlines: after every call the connection asks
//    next_deadline() and arranges to call OnTimer(now) once now >=
//    next_deadline(). kNever means no timer is needed.
//  * Nothing happens before OnConnectionEstablished(): like Linux, the path
//    manager acts only on fully established connections (RFC 8684 section
//    3.1: the MP_CAPABLE handshake completed and the first DSS or a non-echo
//    ADD_ADDR was received). Events before it are ignored and requests fail
//    with FailedPrecondition.
//
// Identifiers:
//
//  * SubflowId: chosen by the path manager. kInitialSubflowId (0) is the
//    initial (MP_CAPABLE) subflow; every OpenSubflowAction carries a fresh id,
//    and OnPeerJoin() hands one out for subflows the peer opens. The
//    connection uses it in every later event about that subflow. Ids are
//    never reused within a connection.
//  * Address ids (RFC 8684 section 3.4.1): local id 0 is the initial
//    subflow's local address; other local ids are Endpoint::id. Remote id 0 is
//    the peer's initial address; other remote ids come from ADD_ADDR.
//
// What the connection must execute for each action:
//
//  * OpenSubflowAction: start an MP_JOIN subflow from `local`(:local_port, 0
//    = any ephemeral port; bound to `interface` when set) to
//    `remote`:remote_port, sending `local_id` as the MP_JOIN address id and
//    the B bit = `backup`. Then report OnSubflowEstablished(id) once the join
//    completes (fourth ACK acknowledged) or OnJoinFailed(id, ...) if it
//    does not (SYN timeout, RST, bad HMAC, no MP_JOIN in the SYN/ACK).
//  * CloseSubflowAction: close that subflow, with RST + MP_TCPRST(reason,
//    transient) when `reset`, else with a FIN. The path manager has already
//    forgotten the subflow; the connection need not report its closure (a
//    later OnSubflowClosed/OnJoinFailed for it is ignored).
//  * AnnounceAddressAction: send ADD_ADDR(id, address, port) with its HMAC
//    (RFC 8684 section 3.4.1) and retransmit it until the peer echoes it
//    (add_addr_timeout). One ADD_ADDR per segment: queue several. When it has
//    a port, the connection (daemon) must accept MP_JOINs on that port.
//  * RemoveAddressAction: send REMOVE_ADDR with these ids (at most 8 per
//    option, mptcp-protocol.md A.10; split longer lists) and stop
//    retransmitting a pending ADD_ADDR for them.
//  * SetBackupAction: send MP_PRIO(B = backup) on that subflow (A.11), and
//    use the new priority locally.
//
// What the connection must report:
//
//  * every valid received ADD_ADDR (non-echo; the connection echoes each one
//    itself whether or not the path manager uses it), every REMOVE_ADDR,
//  * each subflow outcome (established, closed with its reason, join failed),
//  * incoming MP_JOIN SYNs through OnPeerJoin(), which applies
//    limits.max_subflows; on an error the connection refuses the join (RST,
//    MP_TCPRST reason 0x02 "lack of resources"),
//  * local interface / address changes (OnLocalPathDown / OnLocalPathUp) and
//    endpoint configuration changes (OnLocalEndpointAdded / Removed).
//
// Limits follow Linux: limits.max_subflows counts the subflows besides the
// initial one (connecting or established, opened by either side);
// limits.max_add_addr_accepted counts the remote addresses accepted from
// ADD_ADDR (a REMOVE_ADDR frees the place again). Both are at most 8.
//
// Re-creating subflows (the "fullmesh" and "ndiffports" managers; Linux's
// in-kernel PM does not, mptcp_net-next #440): every subflow the manager
// wants is a "slot" (a local/remote address pair, including the initial
// one). When a slot's subflow
//  * closes because its local path went down (OnLocalPathDown, or
//    CloseReason::kPathDown), the slot waits for OnLocalPathUp of that path
//    and then opens a new subflow at once;
//  * times out, is reset without MP_TCPRST or with the transient flag, or
//    fails to join, the slot retries after RetryPolicy backoff:
//    initial_backoff * 2^(n-1) capped at max_backoff for the n-th consecutive
//    failure, giving up after max_retries failures (until the path comes up
//    again). A successful join clears the count;
//  * is reset with a non-transient MP_TCPRST reason, closed by the peer with a
//    FIN, or closed on request, the slot is not re-created.
// Removing the endpoint (OnLocalEndpointRemoved) or the remote address
// (REMOVE_ADDR) deletes its slots and so stops all retries.
#ifndef PLAIT_DATAPLANE_PM_PATH_MANAGER_H_
#define PLAIT_DATAPLANE_PM_PATH_MANAGER_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/wire/ip_address.h"

namespace plait::pm {

using SubflowId = uint32_t;
inline constexpr SubflowId kInitialSubflowId = 0;
// Address id 0: the initial subflow's address (local or remote).
inline constexpr uint8_t kInitialAddressId = 0;
// Linux's cap for both limits and for the number of endpoints.
inline constexpr int kMaxLimit = 8;

// ---------------------------------------------------------------------------
// Configuration.

// One local address the path manager may use, like `ip mptcp endpoint add
// ADDRESS [port PORT] [dev IFNAME] [id ID] [signal] [subflow] [backup]
// [fullmesh]`.
struct Endpoint {
  // Local address id, 1..255 (0 is the initial subflow's address); unique.
  uint8_t id = 0;
  wire::IpAddress address{};
  // The interface the address lives on; subflows from it are bound to it and
  // OnLocalPathDown/Up may name it instead of the address.
  std::optional<std::string> interface = std::nullopt;
  // Announced with the address (signal endpoints only, as in Linux).
  std::optional<uint16_t> port = std::nullopt;
  // Announce the address with ADD_ADDR (server side).
  bool signal = false;
  // Open subflows from this address (client side).
  bool subflow = false;
  // Subflows from this address are backup ones (MP_JOIN B bit).
  bool backup = false;
  // Open a subflow from this address to every known remote address, not only
  // the peer's initial one. Needs `subflow`, excludes `signal`.
  bool fullmesh = false;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// `ip mptcp limits set subflows N add_addr_accepted M`.
struct Limits {
  // Subflows besides the initial one, 0..8. Linux default 2.
  int max_subflows = 2;
  // Remote addresses accepted from ADD_ADDR, 0..8. Linux default 0.
  int max_add_addr_accepted = 0;
};

// Re-creation of failed subflows (see the file comment).
struct RetryPolicy {
  Duration initial_backoff = Seconds(1);  // > 0
  Duration max_backoff = Seconds(60);     // >= initial_backoff
  // Consecutive failures tolerated before the slot gives up, 0..32.
  int max_retries = 6;
};

// For "ndiffports" only.
struct NdiffportsConfig {
  // Subflows over the initial address pair, the initial one included: 1..9.
  // The manager opens subflows - 1 more; that must fit limits.max_subflows.
  int subflows = 2;
  // 0: the connection picks an ephemeral source port for each extra subflow
  // (distinct, as the 4-tuples must differ). Otherwise the extra subflows use
  // first_local_port, first_local_port + 1, ... (skipping the initial
  // subflow's port).
  uint16_t first_local_port = 0;
};

struct PathManagerConfig {
  std::vector<Endpoint> endpoints;  // at most 8
  Limits limits;
  RetryPolicy retry;
  NdiffportsConfig ndiffports;
};

// InvalidArgument naming the offending field, e.g.
// "limits.max_subflows: 9 is above the maximum 8" or
// "endpoints[1].flags: fullmesh needs subflow".
absl::Status ValidateConfig(const PathManagerConfig& config);
// One endpoint; `field` prefixes the message ("endpoints[2]").
absl::Status ValidateEndpoint(const Endpoint& endpoint,
                              const std::string& field);

// ---------------------------------------------------------------------------
// Inputs.

// The initial subflow, as of OnConnectionEstablished.
struct InitialSubflow {
  wire::IpAddress local{};
  uint16_t local_port = 0;
  wire::IpAddress remote{};
  uint16_t remote_port = 0;
  // The interface the initial subflow uses, if known (for OnLocalPathDown/Up
  // by interface name).
  std::optional<std::string> interface = std::nullopt;
};

// A received (non-echo, HMAC-verified) ADD_ADDR.
struct RemoteAddress {
  uint8_t id = 0;
  wire::IpAddress address{};
  std::optional<uint16_t> port =
      std::nullopt;  // absent: the peer's initial port

  friend bool operator==(const RemoteAddress&, const RemoteAddress&) = default;
};

enum class CloseReason : uint8_t {
  kReset,         // RST received (MP_TCPRST details in SubflowFailure)
  kTimeout,       // retransmission timeout / keepalive / SYN timeout
  kPathDown,      // the local path (interface, address, route) is gone
  kPeerClosed,    // the peer closed the subflow gracefully (FIN)
  kLocalRequest,  // closed locally, not by the path manager's request
};

struct SubflowFailure {
  CloseReason reason = CloseReason::kReset;
  // The MP_TCPRST that came with the RST (kReset only), if any.
  std::optional<uint8_t> tcprst_reason = std::nullopt;
  bool tcprst_transient = false;
};

// An incoming MP_JOIN SYN.
struct PeerJoin {
  wire::IpAddress local{};
  uint16_t local_port = 0;
  wire::IpAddress remote{};
  uint16_t remote_port = 0;
  uint8_t remote_id = 0;  // the MP_JOIN's address id
  bool backup = false;    // the MP_JOIN's B bit
};

// A local interface and/or address.
struct LocalPath {
  std::optional<wire::IpAddress> address = std::nullopt;
  std::optional<std::string> interface = std::nullopt;
};

// OpenSubflow() request: ids as in the file comment.
struct SubflowRequest {
  uint8_t local_id = kInitialAddressId;
  uint8_t remote_id = kInitialAddressId;
  // Absent: the endpoint's backup flag (false for local id 0).
  std::optional<bool> backup = std::nullopt;
  uint16_t local_port = 0;  // 0: any
};

// ---------------------------------------------------------------------------
// Outputs.

struct OpenSubflowAction {
  SubflowId id = 0;
  uint8_t local_id = 0;
  wire::IpAddress local{};
  uint16_t local_port = 0;  // 0: any ephemeral port
  std::optional<std::string> interface = std::nullopt;
  uint8_t remote_id = 0;
  wire::IpAddress remote{};
  uint16_t remote_port = 0;
  bool backup = false;

  friend bool operator==(const OpenSubflowAction&,
                         const OpenSubflowAction&) = default;
};

// Why the path manager closes a subflow (for logs and counters).
enum class CloseCause : uint8_t {
  kRequested,             // CloseSubflow()
  kRemoteAddressRemoved,  // REMOVE_ADDR received for its remote address
  kEndpointRemoved,       // its local endpoint was removed
  kPathDown,              // its local path went down
};

// MP_TCPRST reason codes (mptcp-protocol.md A.14).
inline constexpr uint8_t kTcpRstUnspecified = 0x00;
inline constexpr uint8_t kTcpRstAdministrativelyProhibited = 0x03;

struct CloseSubflowAction {
  SubflowId id = 0;
  CloseCause cause = CloseCause::kRequested;
  // RST with MP_TCPRST(tcprst_reason, tcprst_transient); false: FIN.
  bool reset = false;
  uint8_t tcprst_reason = kTcpRstUnspecified;
  bool tcprst_transient = false;

  friend bool operator==(const CloseSubflowAction&,
                         const CloseSubflowAction&) = default;
};

struct AnnounceAddressAction {
  uint8_t id = 0;
  wire::IpAddress address{};
  std::optional<uint16_t> port = std::nullopt;

  friend bool operator==(const AnnounceAddressAction&,
                         const AnnounceAddressAction&) = default;
};

struct RemoveAddressAction {
  std::vector<uint8_t> ids = {};

  friend bool operator==(const RemoveAddressAction&,
                         const RemoveAddressAction&) = default;
};

struct SetBackupAction {
  SubflowId id = 0;
  bool backup = false;

  friend bool operator==(const SetBackupAction&,
                         const SetBackupAction&) = default;
};

using Action =
    std::variant<OpenSubflowAction, CloseSubflowAction, AnnounceAddressAction,
                 RemoveAddressAction, SetBackupAction>;
using Actions = std::vector<Action>;

// "open 1 10.0.0.1(id 1) -> 10.0.1.1:80(id 0) backup", for logs and tests.
std::string ActionToString(const Action& action);
// For gtest and logs.
void PrintTo(const OpenSubflowAction& action, std::ostream* os);
void PrintTo(const CloseSubflowAction& action, std::ostream* os);
void PrintTo(const AnnounceAddressAction& action, std::ostream* os);
void PrintTo(const RemoveAddressAction& action, std::ostream* os);
void PrintTo(const SetBackupAction& action, std::ostream* os);

// ---------------------------------------------------------------------------
// Introspection.

struct SubflowInfo {
  SubflowId id = 0;
  uint8_t local_id = 0;
  wire::IpAddress local{};
  uint16_t local_port = 0;  // 0 when the path manager let the connection pick
  uint8_t remote_id = 0;
  wire::IpAddress remote{};
  uint16_t remote_port = 0;
  bool backup = false;
  bool established = false;
  bool peer_initiated = false;
};

struct PathManagerStats {
  uint64_t subflows_opened = 0;      // OpenSubflowActions emitted
  uint64_t subflows_recreated = 0;   // of which re-creations of a slot
  uint64_t join_failures = 0;        // OnJoinFailed calls for known subflows
  uint64_t retries_given_up = 0;     // slots that exhausted max_retries
  uint64_t add_addr_accepted = 0;    // ADD_ADDRs taken into use
  uint64_t add_addr_ignored = 0;     // over limits.max_add_addr_accepted
  uint64_t add_addr_duplicates = 0;  // id or address already known
  uint64_t peer_joins_accepted = 0;
  uint64_t peer_joins_rejected = 0;        // over limits.max_subflows
  uint64_t addresses_announced = 0;        // AnnounceAddressActions emitted
  uint64_t events_before_established = 0;  // ignored
};

// ---------------------------------------------------------------------------
// Switching managers on a live connection (MptcpConnection::SetPathManager).

// What a path manager knows of its connection, handed over to the manager
// that replaces it (PathManager::Adopt). Retry and backoff state is not part
// of it: the successor applies its own policy from the moment it takes over.
struct PathManagerState {
  // OnConnectionEstablished happened; nothing below but down_paths and
  // next_subflow_id matters otherwise.
  bool established = false;
  InitialSubflow initial;
  // Live subflows (connecting or established), under their ids.
  std::vector<SubflowInfo> subflows;
  // Remote addresses besides id 0 (rebuilt from `initial`): those the old
  // manager accepted first, then others the connection learnt from ADD_ADDR.
  std::vector<RemoteAddress> remote_addresses;
  // Local address ids announced with ADD_ADDR and not withdrawn.
  std::vector<uint8_t> announced;
  // Local paths reported down and not up again.
  std::vector<LocalPath> down_paths;
  // Subflow ids below it were handed out already (ids are never reused).
  SubflowId next_subflow_id = kInitialSubflowId + 1;
};

// ---------------------------------------------------------------------------
// The interface.

class PathManager {
 public:
  virtual ~PathManager() = default;

  // The registered name ("fullmesh", "ndiffports", "explicit").
  virtual const char* name() const = 0;

  // --- Events from the connection. ---

  // The connection is fully established. Managers open their subflows and
  // announce their signal endpoints now. A second call is ignored.
  virtual Actions OnConnectionEstablished(Time now,
                                          const InitialSubflow& initial) = 0;
  // A received ADD_ADDR. Ignored (and counted) when its id or address is
  // already known or limits.max_add_addr_accepted is reached.
  virtual Actions OnAddAddr(Time now, const RemoteAddress& address) = 0;
  // A received REMOVE_ADDR: closes every subflow to these remote ids and
  // forgets the addresses (and their retries). Unknown ids are ignored.
  virtual Actions OnRemoveAddr(Time now, absl::Span<const uint8_t> ids) = 0;
  // A subflow from an OpenSubflowAction or OnPeerJoin completed its join.
  virtual Actions OnSubflowEstablished(Time now, SubflowId id) = 0;
  // An established subflow closed (not at the path manager's request).
  virtual Actions OnSubflowClosed(Time now, SubflowId id,
                                  const SubflowFailure& failure) = 0;
  // A subflow from an OpenSubflowAction never got established.
  virtual Actions OnJoinFailed(Time now, SubflowId id,
                               const SubflowFailure& failure) = 0;
  // An incoming MP_JOIN: the id for the new subflow, or ResourceExhausted
  // naming limits.max_subflows (refuse the join then), or FailedPrecondition
  // before establishment.
  virtual absl::StatusOr<SubflowId> OnPeerJoin(Time now,
                                               const PeerJoin& join) = 0;
  // A local endpoint was configured / deconfigured at run time (`ip mptcp
  // endpoint add/delete`). Adding validates like ValidateConfig (id and
  // address unique, at most 8) and, once established, lets the manager use it.
  // Removing closes the subflows from it, withdraws its announcement
  // (REMOVE_ADDR) and stops its retries; NotFound for an unknown id.
  virtual absl::StatusOr<Actions> OnLocalEndpointAdded(
      Time now, const Endpoint& endpoint) = 0;
  virtual absl::StatusOr<Actions> OnLocalEndpointRemoved(Time now,
                                                         uint8_t id) = 0;
  // A local interface or address went away: closes the subflows that use it
  // (CloseCause::kPathDown); re-creating managers wait for OnLocalPathUp.
  virtual Actions OnLocalPathDown(Time now, const LocalPath& path) = 0;
  // It is back: re-creating managers reopen the slots that use it at once.
  virtual Actions OnLocalPathUp(Time now, const LocalPath& path) = 0;
  // now >= next_deadline().
  virtual Actions OnTimer(Time now) = 0;
  // The earliest time OnTimer should be called, or kNever.
  virtual Time next_deadline() const = 0;

  // --- Requests (API; every manager accepts them, "explicit" only them). ---

  // Opens a subflow from local id to remote id. InvalidArgument for unknown
  // ids or mismatched address families, FailedPrecondition before
  // establishment or when the local path is down, ResourceExhausted naming
  // limits.max_subflows when it is reached.
  virtual absl::StatusOr<Actions> OpenSubflow(
      Time now, const SubflowRequest& request) = 0;
  // Closes a subflow (FIN, or RST with MP_TCPRST "administratively
  // prohibited" when reset). Re-creating managers do not re-create it.
  // NotFound for an unknown id.
  virtual absl::StatusOr<Actions> CloseSubflow(Time now, SubflowId id,
                                               bool reset) = 0;
  // Announces a configured endpoint (any flags). NotFound for an unknown id,
  // AlreadyExists when announced already.
  virtual absl::StatusOr<Actions> Announce(Time now, uint8_t local_id) = 0;
  // REMOVE_ADDR for an announced endpoint; NotFound when not announced.
  virtual absl::StatusOr<Actions> WithdrawAnnouncement(Time now,
                                                       uint8_t local_id) = 0;
  // MP_PRIO on one subflow (no action when already so). NotFound if unknown.
  virtual absl::StatusOr<Actions> SetBackup(Time now, SubflowId id,
                                            bool backup) = 0;
  // `ip mptcp endpoint change id ID [no]backup`: updates the endpoint and
  // sends MP_PRIO on its live subflows. NotFound for an unknown id.
  virtual absl::StatusOr<Actions> SetEndpointBackup(Time now, uint8_t id,
                                                    bool backup) = 0;

  // --- Switching managers. ---

  // This manager's view of the connection, for a successor.
  virtual PathManagerState ExportState() const = 0;
  // Takes over a live connection from another manager; call it on a new
  // manager, before any other call. It adopts the subflows (ids kept), the
  // remote addresses, the announcements and the down paths, then applies its
  // own policy: it opens the subflows it wants that are missing (a live
  // subflow with the same local address, remote address and port fills a
  // wanted one) and announces its signal endpoints not announced yet. It
  // closes nothing: adopted subflows its policy would not have opened stay,
  // unmanaged by the policy (not re-created), and count against
  // limits.max_subflows; remote addresses a kept subflow uses stay even
  // beyond limits.max_add_addr_accepted, the others are accepted within it.
  // Before establishment it only takes the down paths.
  virtual Actions Adopt(Time now, const PathManagerState& state) = 0;

  // --- Introspection. ---

  // Live subflows (connecting or established), by id.
  virtual std::vector<SubflowInfo> Subflows() const = 0;
  // Known remote addresses: id 0 (the initial one) and the accepted ADD_ADDRs.
  virtual std::vector<RemoteAddress> RemoteAddresses() const = 0;
  virtual const std::vector<Endpoint>& endpoints() const = 0;
  virtual const PathManagerStats& stats() const = 0;
};

}  // namespace plait::pm

#endif  // PLAIT_DATAPLANE_PM_PATH_MANAGER_H_
