// MPTCP packet schedulers behind one interface: given a read-only view of the
// connection and of each of its subflows, a scheduler decides which subflow(s)
// get the next chunk of connection-level data, or that none should get it now.
// Pure logic: no I/O and no clock; the MPTCP connection passes `now` in.
// Each algorithm is registered by name (registry.h) and chosen per connection;
// the choice can change at any moment (see "Switching" below).
//
// How the MPTCP connection drives a scheduler
// -------------------------------------------
// Whenever it could send new connection-level data (data queued by the
// application, an ACK that opened a subflow's cwnd or the peer's window, a
// subflow that became established or changed priority), the connection:
//   1. fills a ConnectionView and one SubflowView per subflow (every subflow
//      it has, usable or not; ids unique; any order);
//   2. calls Schedule();
//   3. on Action::kSend, maps the next `chunk` bytes of its send queue (the
//      same bytes for every target) onto each target subflow, at most
//      Target::max_bytes on that subflow, and loops back to 1 with updated
//      views; on any other action it stops and retries on the next event
//      (see Action for which event is worth waiting for).
// A decision is meant to be carried out: Schedule() advances the scheduler's
// per-connection state (round-robin's rotation, ECF's hysteresis, BLEST's RTT
// ranges and lambda), so the connection must not call it merely to peek.
//
// What this interface does not cover (the connection's business): data-level
// retransmissions (reinjections) and their choice of subflow, the receive-
// buffer optimisation (opportunistic reinjection and penalisation of slow
// subflows when the peer's window blocks), answering a DATA_FIN on the subflow
// it came in on, the fallback (single-path) mode, and segmenting a chunk into
// MSS-sized packets (the subflow's TCP engine does that).
//
// Switching
// ---------
// A scheduler object serves exactly one connection. It keeps no global state,
// and every piece of per-connection state it keeps has a meaningful fresh
// value, so a connection may switch algorithm at any moment by replacing its
// object with a new one from CreateScheduler(): the new object starts fresh
// (round-robin at the lowest id, ECF not waiting, BLEST with lambda 1.2 and
// RTT ranges equal to the current srtt) and makes correct decisions from its
// first call. State is keyed by subflow id, never by position, so subflows
// may appear and disappear between calls.
//
// Shared availability rules (the out-of-tree multipath-tcp.org kernel's
// mptcp_sched.c, which BLEST and ECF build on; RFC 8684 section 3.3.8 and
// Linux for backup):
//   * usable: established, not potentially failed, mss > 0 (IsUsable());
//   * room: a usable subflow can take data when cwnd_bytes exceeds
//     bytes_in_flight + queued_unsent_bytes and it is not in RTO recovery
//     (CwndRoom());
//   * backup rule: backup subflows are candidates only when no regular
//     (non-backup) subflow is usable; a usable regular subflow that merely has
//     no cwnd room makes the scheduler wait rather than use a backup
//     (UseBackupSubflows(), IsCandidate()). Every scheduler obeys it.
#ifndef PLAIT_DATAPLANE_SCHED_SCHEDULER_H_
#define PLAIT_DATAPLANE_SCHED_SCHEDULER_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "dataplane/base/time.h"

namespace plait::sched {

// ssthresh before the first loss (the TCP engine's initial "arbitrarily high"
// value; Linux TCP_INFINITE_SSTHRESH): the subflow is in initial slow start.
inline constexpr uint64_t kInfiniteSsthresh =
    std::numeric_limits<uint64_t>::max();

// What a scheduler may read about one subflow. All bytes; the sender's view.
struct SubflowView {
  // The connection's handle for the subflow, unique within the connection
  // and stable for the subflow's life (e.g. the MPTCP address/subflow id).
  uint32_t id = 0;
  // Fully established at MPTCP level and in a TCP state that can send data:
  // MP_CAPABLE's third ACK / MP_JOIN's fourth ACK has been acknowledged
  // (Linux: not pre_established, mptcp_sk_can_send).
  bool established = false;
  // Low priority: either side marked it backup (MP_JOIN's B bit, MP_PRIO, or
  // a local backup endpoint; Linux low_prio || rcv_low_prio).
  bool backup = false;
  // The connection suspects the path is broken, e.g. after repeated
  // retransmission timeouts without progress (Linux "stale",
  // stale_loss_cnt = 4; the out-of-tree kernel's "pf"). Never used; does not
  // count as usable for the backup rule.
  bool potentially_failed = false;
  // In RTO recovery (Linux TCP_CA_Loss): temporarily takes no new data, but
  // still counts as usable, so backups stay unused.
  bool in_rto_recovery = false;
  // Current sender MSS (must be > 0 for the subflow to be usable).
  uint64_t mss = 0;
  uint64_t cwnd_bytes = 0;
  // kInfiniteSsthresh until the first loss (BLEST's slow-start estimate).
  uint64_t ssthresh_bytes = kInfiniteSsthresh;
  // Bytes sent and not yet acknowledged or deemed lost (the engine's pipe,
  // Linux tcp_packets_in_flight).
  uint64_t bytes_in_flight = 0;
  // Bytes already handed to this subflow's send queue and not yet sent.
  uint64_t queued_unsent_bytes = 0;
  // RFC 6298 SRTT and RTTVAR. Before the first data sample the connection
  // passes the handshake's RTT (as Linux does for MP_JOIN subflows); zero
  // means "no sample" and sorts as fastest.
  Duration srtt{0};
  Duration rttvar{0};
};

// What a scheduler may read about the connection (data sequence space).
struct ConnectionView {
  Time now;
  // Connection-level bytes queued by the application and not yet mapped to
  // any subflow (ECF's k; the out-of-tree kernel's meta sndbuf minus what the
  // subflows hold).
  uint64_t bytes_to_schedule = 0;
  // The most the connection wants to map in this decision (N), e.g. one MSS
  // or a GSO batch.
  uint64_t max_chunk_bytes = std::numeric_limits<uint64_t>::max();
  // The peer's data-level receive window as last advertised, counted from
  // the DATA_ACK (RFC 8684 section 3.3.4; Linux meta snd_wnd).
  uint64_t send_window_bytes = 0;
  // Data-level bytes in flight: data_snd_nxt - data_una, each byte counted
  // once however many subflows carry it.
  uint64_t bytes_in_flight = 0;
};

enum class Action {
  // Map the chunk onto every target.
  kSend,
  // bytes_to_schedule or max_chunk_bytes is zero. Retry when data arrives.
  kNothingToSend,
  // The peer's data-level window is full (send_window_bytes <=
  // bytes_in_flight). Retry on a DATA_ACK that opens it. This is where the
  // connection may run the receive-buffer optimisation.
  kWindowFull,
  // No subflow is a candidate (none usable). Retry when a subflow becomes
  // established, recovers, or changes priority.
  kNoUsableSubflow,
  // Candidates exist but none has cwnd room. Retry on their ACKs.
  kNoRoom,
  // BLEST/ECF: a slower candidate has room, but leaving the data for the
  // faster `wait_for_subflow_id` (which has no room now) is expected to be
  // better. Retry on that subflow's ACKs, or whenever the views change.
  kWaitForFaster,
};

const char* ActionName(Action action);
std::ostream& operator<<(std::ostream& os, Action action);

struct Target {
  uint32_t subflow_id = 0;
  // The most bytes of the chunk to map onto this subflow: min(chunk, its cwnd
  // room); always > 0. The connection maps the chunk's first max_bytes.
  uint64_t max_bytes = 0;

  friend bool operator==(const Target&, const Target&) = default;
};
std::ostream& operator<<(std::ostream& os, const Target& target);

struct Decision {
  Action action = Action::kNothingToSend;
  // The chunk's length: min(max_chunk_bytes, bytes_to_schedule, the peer's
  // window left); 0 unless action is kSend.
  uint64_t chunk_bytes = 0;
  // Non-empty iff action is kSend; several only for "redundant", which sends
  // the same bytes on each. In the order of the subflows passed in.
  absl::InlinedVector<Target, 4> targets;
  // The faster subflow the data is held for, when action is kWaitForFaster.
  std::optional<uint32_t> wait_for_subflow_id;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The registered name ("minrtt", "roundrobin", ...).
  virtual const char* name() const = 0;

  // Decides where the next chunk goes. `subflows` lists every subflow of the
  // connection (usable or not) with unique ids; it may be empty. The views
  // are only read during the call.
  virtual Decision Schedule(const ConnectionView& connection,
                            absl::Span<const SubflowView> subflows) = 0;

  // True when every byte is meant for every candidate subflow: a subflow
  // that was full when a chunk was scheduled catches up on it later (the
  // connection keeps each subflow's position in the send queue).
  virtual bool Redundant() const { return false; }
};

// ---- Shared rules, used by every scheduler (and usable by the connection).

// Established, not potentially failed, mss > 0.
bool IsUsable(const SubflowView& subflow);

// Bytes of connection data the subflow can take now: cwnd_bytes minus
// bytes_in_flight and queued_unsent_bytes (0 if negative, and 0 in RTO
// recovery). Like the TCP engine, this counts bytes, not packets.
uint64_t CwndRoom(const SubflowView& subflow);

// The backup rule: true iff no regular (non-backup) subflow is usable, in
// which case the backup subflows are the candidates.
bool UseBackupSubflows(absl::Span<const SubflowView> subflows);

// Usable, and in the class the backup rule selects.
inline bool IsCandidate(const SubflowView& subflow, bool use_backups) {
  return IsUsable(subflow) && subflow.backup == use_backups;
}

// The peer's data-level window left: send_window_bytes - bytes_in_flight, or
// 0.
uint64_t WindowLeft(const ConnectionView& connection);

// min(max_chunk_bytes, bytes_to_schedule, WindowLeft()).
uint64_t ChunkBytes(const ConnectionView& connection);

// ---- Building blocks for the algorithms.
namespace internal {

// kNothingToSend or kWindowFull when the connection cannot send whatever the
// subflows say; nullopt otherwise.
std::optional<Action> CheckConnection(const ConnectionView& connection);

// A decision to send nothing, for any action but kSend and kWaitForFaster.
Decision Halt(Action action);

// The candidate with room and the lowest srtt (ties: lowest id), or null:
// the default (minRTT) choice.
const SubflowView* LowestRttWithRoom(absl::Span<const SubflowView> subflows,
                                     bool use_backups);

// The candidate with the lowest srtt whether or not it has room (ties:
// lowest id), or null: BLEST's and ECF's "fastest" subflow.
const SubflowView* LowestRtt(absl::Span<const SubflowView> subflows,
                             bool use_backups);

// kNoUsableSubflow if there is no candidate, else kNoRoom.
Decision NoSubflow(absl::Span<const SubflowView> subflows, bool use_backups);

// kSend on `subflow` alone; `chunk` must be > 0 and the subflow must have
// room.
Decision SendOn(const SubflowView& subflow, uint64_t chunk);

// kWaitForFaster for `faster`.
Decision WaitFor(const SubflowView& faster);

}  // namespace internal
}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_SCHEDULER_H_
