// One MPTCP v1 connection (RFC 8684) as pure logic: no clock, no sockets.
//
// Design
// ------
// An MptcpConnection owns its subflows. Each subflow is a tcp::TcpConnection
// whose TcpOwner is a small adapter (Subflow) pointing back to the
// connection; the engine knows nothing of MPTCP, the adapter adds the MPTCP
// options to each outgoing segment (AddOptions) and reads those of each
// accepted segment (OnIncomingSegment). All subflows send through one
// tcp::TcpOutput: the IP packet names its 4-tuple. Incoming segments go to
// OnSegment, which finds the subflow by 4-tuple.
//
// The application side mirrors TcpConnection: Write / Read / Close / Abort /
// AtEndOfStream, and MptcpOwner hears OnEstablished / OnReadable /
// OnWritable / OnClosed. Application callbacks and the moving of data into
// subflows run after the subflow engine has returned (never from inside an
// engine callback), so the engine is never re-entered through Write.
//
// Data level. Sending: a data-level SendBuffer whose offset k is the DSN
// IDSN_local + 1 + k. The scheduler (dataplane/sched) picks a subflow; the
// connection writes a *chunk* of the data-level stream into that subflow's
// TcpConnection and records it (subflow stream offset range -> DSN). Every
// segment carrying bytes of a chunk carries the chunk's DSS mapping (64-bit
// DSN, relative subflow seq = stream offset + 1, data-level length = chunk
// length, checksum over the whole chunk when negotiated), so a mapping never
// depends on how the engine cuts segments (it may shrink a payload after
// AddOptions to make room for options). A new chunk is written to a subflow
// only once the subflow has sent all earlier bytes at least once: the engine
// never merges segments, so no segment (and no retransmission) crosses two
// chunks. Chunks are at most 65534 bytes (room for a DATA_FIN in the length).
// Receiving: OnIncomingSegment records the peer's mappings per subflow
// (stream offset -> DSN); when the subflow is readable its in-order bytes are
// read and placed into a data-level ReceiveBuffer (offset = DSN -
// IDSN_remote - 1), mapping by mapping; with checksums a mapping is placed
// only when all its bytes are there and its checksum verifies. In-order data
// without a mapping, or a bad checksum, resets that subflow with MP_TCPRST.
// Every segment after the handshake carries a DATA_ACK (64-bit once the peer
// used 64-bit DSNs); a DATA_ACK from the peer frees the data-level send
// buffer. Flow control at the data level is by back-pressure: bytes are not
// taken from a subflow while the data-level receive buffer has no room for
// them, so the subflow's own window closes.
//
// Handshake (initial subflow): SYN MP_CAPABLE (H, plus A when checksums are
// configured), SYN/ACK with the server's key, third ACK with both keys, and
// the client's first data chunk with MP_CAPABLE + data-level length (+
// checksum) until the peer's first DATA_ACK. A SYN/ACK (or SYN) without a
// valid MP_CAPABLE means plain TCP: no options, bytes go straight through the
// same data-level buffers.
//
// Closing. Close() fixes the DATA_FIN at the end of the data-level stream.
// It is attached to the mapping of the last chunk and to pure ACKs at once;
// once every byte has been DATA_ACKed (not merely handed to a subflow: a
// subflow that fails before that leaves bytes to reinject, and a subflow
// that has sent its FIN cannot carry them), the subflows are half-closed and
// the DATA_FIN (DSS F) rides on their FIN segments: the engine retransmits a
// FIN until acknowledged, which makes the DATA_FIN reliable without an
// owner-driven pure ACK. The connection is closed
// when our DATA_FIN is DATA_ACKed (fin + 1) and the peer's DATA_FIN has
// arrived with all data before it. Abort() sends RST + MP_FASTCLOSE on every
// subflow; a valid MP_FASTCLOSE received resets every subflow and closes.
//
// MP_JOIN: the client opens additional subflows with AddSubflow (SYN with the
// peer's token and a nonce; SYN/ACK truncated HMAC verified; third ACK with
// the 160-bit HMAC). The server finds the connection by token through
// MptcpConnection::HandleJoinSyn's lookup; an unknown token or a bad HMAC is
// answered with RST + MP_TCPRST (reason 1) and nothing is kept. A joined
// subflow carries no data until the peer's fourth ACK (a DATA_ACK on the
// subflow) on the client, and until the third ACK's HMAC verifies on the
// server; the server sends that fourth ACK (a pure ACK with a DATA_ACK,
// tcp::TcpConnection::SendAckNow) as soon as the third ACK verifies, since a
// one-way transfer would give it none. A backup subflow (MP_JOIN B bit, set
// by AddSubflow or by the peer) is used by the scheduler only when no
// regular subflow is usable. When a subflow fails, its chunks that are not
// DATA_ACKed are reinjected on the others; so they are, without closing it,
// when it has a retransmission timeout while another subflow is usable: it
// is then "potentially failed" (no new data) until it makes progress again.
#ifndef PLAIT_DATAPLANE_MPTCP_MPTCP_CONNECTION_H_
#define PLAIT_DATAPLANE_MPTCP_MPTCP_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/cc/coupled_group.h"
#include "dataplane/mptcp/mptcp_events.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/sched/scheduler.h"
#include "dataplane/tcp/receive_buffer.h"
#include "dataplane/tcp/send_buffer.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_owner.h"
#include "dataplane/wire/mptcp_option.h"
#include "dataplane/wire/segment.h"

namespace plait::mptcp {

struct MptcpConfig {
  tcp::TcpConfig tcp;  // for every subflow
  // False: plain TCP (a host that does not speak MPTCP).
  bool enabled = true;
  // Ask for DSS checksums (MP_CAPABLE flag A).
  bool checksums = false;
  size_t send_buffer_bytes = 1 << 20;
  size_t receive_buffer_bytes = 1 << 20;
  std::string scheduler = "minrtt";
  // Draws this side's key; empty means crypto::GenerateUniqueKey. Tests
  // inject a deterministic source.
  std::function<uint64_t()> key_source;
  // Draws MP_JOIN nonces; empty means a fixed sequence derived from the key.
  std::function<uint32_t()> nonce_source;
  // The path manager (dataplane/pm: "fullmesh", "ndiffports", "explicit")
  // with its endpoints and limits; it decides which subflows to open and
  // which addresses to announce, and applies the limits to the peer's
  // joins and ADD_ADDRs. An invalid configuration falls back to "explicit"
  // with Linux's default limits (callers validate with pm::ValidateConfig).
  std::string path_manager = "fullmesh";
  pm::PathManagerConfig path_manager_config;
  // An ADD_ADDR is sent again every add_addr_timeout until the peer echoes
  // it, at most add_addr_retries times (Linux: 120 s and 3; a lost ADD_ADDR
  // should not keep a path unused for minutes).
  Duration add_addr_timeout = Seconds(2);
  int add_addr_retries = 3;
};

class MptcpConnection;

// Opens the MP_JOIN subflows a connection's path manager asks for; the
// stack implements it (it owns ports, ISNs and the 4-tuple table).
class SubflowOpener {
 public:
  virtual ~SubflowOpener() = default;
  // Opens the subflow (an ephemeral port when action.local_port is 0) by
  // calling connection->AddSubflow with `join`. False when it cannot, e.g.
  // action.local is not an address of this host.
  virtual bool OpenSubflow(MptcpConnection* connection,
                           const pm::OpenSubflowAction& action, Time now) = 0;
  // The connection dropped a subflow whose join failed (a forged or broken
  // MP_JOIN): its 4-tuple is no longer the connection's.
  virtual void ForgetSubflow(MptcpConnection* connection,
                             const tcp::TcpEndpoints& ends) {}
};

// How an MP_JOIN subflow is opened.
struct JoinOptions {
  bool backup = false;  // the MP_JOIN B bit
  uint8_t local_address_id = 0;
  uint8_t remote_address_id = 0;
  // Set for subflows the path manager asked for.
  std::optional<pm::SubflowId> pm_id;
};

enum class MptcpCloseReason {
  kNormal,        // both DATA_FINs acknowledged
  kFastclose,     // the peer sent MP_FASTCLOSE
  kAborted,       // Abort() was called
  kSubflowsLost,  // every subflow closed before the data level did
};
const char* MptcpCloseReasonName(MptcpCloseReason reason);

class MptcpOwner {
 public:
  virtual ~MptcpOwner() = default;
  virtual void OnEstablished(Time now) {}
  virtual void OnReadable(Time now) {}
  virtual void OnWritable(Time now) {}
  virtual void OnClosed(Time now, MptcpCloseReason reason) {}
};

struct MptcpStats {
  uint64_t chunks_sent = 0;
  uint64_t bytes_reinjected = 0;
  // The data-level timer fired: nothing DATA_ACKed for a subflow RTO.
  uint64_t data_retransmit_timeouts = 0;
  // Pump found new data but the peer's data-level window closed.
  uint64_t data_window_limited = 0;
  uint64_t data_window_probes = 0;  // one byte sent into a closed window
  uint64_t mappings_received = 0;
  uint64_t checksum_failures = 0;
  uint64_t subflow_resets = 0;  // subflows we reset for protocol errors
  uint64_t joins_refused = 0;
  uint64_t scheduler_switches = 0;
  uint64_t congestion_control_switches = 0;
  uint64_t path_manager_switches = 0;   // SetPathManager that succeeded
  uint64_t add_addr_sent = 0;           // first transmissions
  uint64_t add_addr_retransmitted = 0;  // not echoed in time
  uint64_t add_addr_received = 0;       // valid, non-echo
  uint64_t add_addr_rejected = 0;       // bad HMAC, or before the keys
  uint64_t add_addr_echoes = 0;         // echoes matching an announcement
  uint64_t remove_addr_received = 0;
  uint64_t mp_prio_received = 0;
  uint64_t subflows_opened_by_pm = 0;
  uint64_t subflow_open_failures = 0;  // the opener could not open one
  // Fell back to TCP after the handshake (options stripped on the way).
  uint64_t fallbacks_after_handshake = 0;
  uint64_t infinite_mappings_received = 0;
  // Subflows whose join failed, dropped with their buffers once reset.
  uint64_t failed_joins_freed = 0;
  uint64_t mp_fail_sent = 0;      // checksum failures answered with MP_FAIL
  uint64_t mp_fail_received = 0;  // on a segment that is not an RST
};

class MptcpConnection {
 public:
  MptcpConnection(const MptcpConfig& config, MptcpOwner* owner,
                  tcp::TcpOutput* output);
  ~MptcpConnection();
  MptcpConnection(const MptcpConnection&) = delete;
  MptcpConnection& operator=(const MptcpConnection&) = delete;

  // Active open of the initial subflow.
  void Connect(const tcp::TcpEndpoints& endpoints, uint32_t isn, Time now);
  // Passive open: `syn` arrived at a listener.
  void AcceptSyn(const tcp::TcpEndpoints& endpoints, uint32_t isn,
                 const wire::Segment& syn, Time now);
  // Opens an additional subflow with MP_JOIN (client side, once
  // established); `backup` sets the MP_JOIN B bit, and the scheduler uses the
  // subflow only when no regular one is usable. Allowed after Close() until
  // the DATA_FIN has been handed to the subflows. Returns false if the
  // connection cannot add one.
  bool AddSubflow(const tcp::TcpEndpoints& endpoints, uint32_t isn, Time now,
                  bool backup = false);
  bool AddSubflow(const tcp::TcpEndpoints& endpoints, uint32_t isn, Time now,
                  const JoinOptions& join);
  // Where the path manager's subflows are opened; without one they fail.
  void set_subflow_opener(SubflowOpener* opener) { opener_ = opener; }
  // Who hears this connection's events (mptcp_events.h); null (the default)
  // queues none. Set it before Connect / AcceptSyn, or the events before
  // are missed. `sink` must outlive the connection or be replaced first.
  void set_event_sink(MptcpEventSink* sink) { event_sink_ = sink; }
  MptcpEventSink* event_sink() const { return event_sink_; }

  // Path management requests (the API of dataplane/pm/path_manager.h,
  // applied to this connection): errors as the path manager gives them.
  absl::Status OpenSubflow(const pm::SubflowRequest& request, Time now);
  absl::Status CloseSubflow(pm::SubflowId id, bool reset, Time now);
  absl::Status AnnounceAddress(uint8_t local_id, Time now);
  absl::Status WithdrawAddress(uint8_t local_id, Time now);
  // MP_PRIO: asks the peer to use the subflow as a backup (or not), and so
  // does this side.
  absl::Status SetSubflowBackup(pm::SubflowId id, bool backup, Time now);
  // A local interface or address went away / came back (netlink, or the
  // simulator's link events): the path manager closes and re-creates the
  // subflows that use it.
  void OnLocalPathDown(const pm::LocalPath& path, Time now);
  void OnLocalPathUp(const pm::LocalPath& path, Time now);
  const pm::PathManager& path_manager() const { return *pm_; }
  // The running path manager's name: "explicit" when the configured one
  // was invalid, the new one after SetPathManager.
  const char* path_manager_name() const { return pm_->name(); }
  // Replaces the path manager with a new one of that name and config, which
  // takes over the live connection (pm::PathManager::Adopt): the subflows,
  // the remote addresses learnt and our announcements; it opens the subflows
  // its policy wants that are missing, and keeps the others (it closes
  // nothing on its own). The old manager's retry timers are dropped; ADD_ADDR
  // retransmissions (kept here) go on. Later subflows and address ids use the
  // new config. Before full establishment the new manager simply starts
  // then. InvalidArgument naming the unknown name or the invalid field; the
  // current manager stays then.
  absl::Status SetPathManager(const std::string& name,
                              const pm::PathManagerConfig& config, Time now);

  // A segment whose 4-tuple belongs to one of this connection's subflows.
  // Returns false if no subflow matches.
  bool OnSegment(const wire::Segment& segment, Time now);
  // Server side of MP_JOIN: a SYN carrying MP_JOIN arrived at a listener.
  // `lookup` finds the connection by the token; if there is none, or the
  // connection refuses, an RST with MP_TCPRST goes to `output` and false is
  // returned.
  static bool HandleJoinSyn(
      const wire::Segment& syn, uint32_t isn, Time now,
      const std::function<MptcpConnection*(uint32_t token)>& lookup,
      tcp::TcpOutput* output);

  // Answers an MP_JOIN SYN with RST + MP_TCPRST `reason` (RFC 8684 3.2).
  static void RefuseJoin(const wire::Segment& syn, wire::TcpRstReason reason,
                         tcp::TcpOutput* output);

  void OnTimer(Time now);
  Time next_deadline() const;

  size_t Write(absl::Span<const uint8_t> data, Time now);
  size_t Read(absl::Span<uint8_t> out, Time now);
  bool AtEndOfStream() const;
  size_t readable_bytes() const { return recv_.readable(); }
  void Close(Time now);
  // No more writes; once every byte written is DATA_ACKed, the connection
  // ends with MP_FASTCLOSE (Abort) instead of the DATA_FIN exchange: both
  // ends free it at once, and what the peer still sends is lost. For an
  // application whose close means it is done (a profile's
  // fast_close_on_close).
  void CloseFast(Time now);
  void Abort(Time now);

  bool established() const { return established_; }
  bool closed() const { return closed_; }
  // Not closed yet, but the data level is ending: the application called
  // Close (the DATA_FIN is fixed and goes out once the data before it has
  // been given to the subflows), or the peer's DATA_FIN arrived. Abort
  // closes at once.
  bool closing() const {
    return !closed_ && (close_requested_ || peer_fin_offset_.has_value());
  }
  // The initial subflow fell back to plain TCP.
  bool fallback() const { return fallback_; }
  bool checksums_enabled() const { return checksums_; }
  uint64_t local_key() const { return local_key_; }
  uint64_t remote_key() const { return remote_key_; }
  uint32_t local_token() const { return local_token_; }
  const MptcpConfig& config() const { return config_; }
  // Who hears this connection's callbacks (the daemon: its proxy bridge).
  const MptcpOwner* owner() const { return owner_; }
  // Data-level byte counts (the application's stream, each byte once
  // whatever subflows carried it, retransmissions and reinjections not
  // counted again):
  // Accepted by Write.
  uint64_t data_bytes_written() const { return send_.end_offset(); }
  // DATA_ACKed by the peer (after a fallback: handed to the TCP subflow,
  // whose own acknowledgements then stand for delivery).
  uint64_t data_bytes_acked() const { return data_una_; }
  // Received in order from the peer, read by the application or not.
  uint64_t data_bytes_received() const { return recv_.contiguous_end(); }
  // Handed to the application by Read.
  uint64_t data_bytes_read() const { return recv_.read_offset(); }
  size_t subflow_count() const { return subflows_.size(); }
  // Buffer bytes this connection has reserved: its data-level buffers and
  // every subflow's (all are allocated up front).
  size_t reserved_buffer_bytes() const {
    return config_.send_buffer_bytes + config_.receive_buffer_bytes +
           subflows_.size() * SubflowBufferBytes(config_);
  }
  static size_t SubflowBufferBytes(const MptcpConfig& config) {
    return config.tcp.send_buffer_bytes + config.tcp.receive_buffer_bytes;
  }
  static size_t ConnectionBufferBytes(const MptcpConfig& config) {
    return config.send_buffer_bytes + config.receive_buffer_bytes +
           SubflowBufferBytes(config);
  }
  // Subflows that can still carry data.
  size_t active_subflows() const;
  const tcp::TcpConnection& subflow(size_t i) const;
  // Subflow i is a backup one (either side asked for it).
  bool subflow_backup(size_t i) const;
  // The path manager's id of subflow i, if it manages it.
  std::optional<pm::SubflowId> subflow_pm_id(size_t i) const;
  // Resets subflow `i` (as if it failed); the connection carries on.
  void ResetSubflow(size_t i, Time now);
  // Replaces the packet scheduler with a fresh one of that name, at once
  // and for every later decision (sched/scheduler.h "Switching"); data
  // already given to subflows stays where it is. InvalidArgument naming the
  // known schedulers for an unknown name; the current one stays then.
  absl::Status SetScheduler(absl::string_view name, Time now);
  const char* scheduler_name() const { return scheduler_->name(); }
  // MptcpStats::chunks_sent by the scheduler that chose each chunk (a
  // connection that switched has several).
  std::map<std::string, uint64_t> ChunksByScheduler() const {
    std::map<std::string, uint64_t> chunks = chunks_by_earlier_schedulers_;
    chunks[scheduler_->name()] += stats_.chunks_sent - chunks_at_switch_;
    return chunks;
  }
  uint64_t scheduler_switches() const { return stats_.scheduler_switches; }
  // Replaces every open subflow's congestion control with a new one of that
  // name, which starts from the subflow's current window
  // (tcp::TcpConnection::SetCongestionControl), and makes it the default
  // for later subflows. A coupled name (lia, olia, balia) couples them
  // through the connection's CouplingGroup, made now if there was none.
  // InvalidArgument naming the known algorithms for an unknown name;
  // nothing changes then.
  absl::Status SetCongestionControl(absl::string_view name, Time now);
  const std::string& congestion_control_name() const {
    return config_.tcp.congestion_control;
  }
  uint64_t congestion_control_switches() const {
    return stats_.congestion_control_switches;
  }
  const MptcpStats& stats() const { return stats_; }

 private:
  struct Subflow;
  friend struct Subflow;

  Subflow* NewSubflow(const tcp::TcpEndpoints& endpoints, uint32_t isn,
                      bool initial);
  // nullopt when accepted, else the MP_TCPRST reason of the refusal.
  std::optional<wire::TcpRstReason> AcceptJoin(const wire::Segment& syn,
                                               uint32_t isn, Time now);
  // Another subflow can carry data.
  bool ActiveOthers(const Subflow& except) const;
  void DrawKey();
  uint64_t DataAckValue() const;
  uint64_t LocalDsn(uint64_t offset) const { return local_idsn_ + 1 + offset; }

  // Subflow events.
  void SubflowAddOptions(Subflow& sf, const tcp::OutgoingSegment& segment,
                         wire::OptionWriter& writer);
  void SubflowSegmentSent(Subflow& sf, const tcp::OutgoingSegment& segment);
  void SubflowIncoming(Subflow& sf, const wire::Segment& segment, Time now);
  void SubflowEstablished(Subflow& sf, Time now);
  void SubflowReadable(Subflow& sf, Time now);
  void SubflowClosed(Subflow& sf, Time now);

  void ProcessDss(Subflow& sf, const wire::Dss& dss, Time now);
  void OnDataAck(uint64_t data_ack, Time now);
  // `data_length` bytes of the subflow stream from `stream_begin` carry DSNs
  // from `dsn`; `wire_length` is the mapping's length on the wire (with a
  // DATA_FIN, one more), which the checksum covers.
  void AddRxMapping(Subflow& sf, uint64_t stream_begin, uint64_t dsn,
                    uint64_t data_length, uint16_t wire_length,
                    std::optional<uint16_t> checksum);
  void NoteDataFin(uint64_t fin_dsn);
  void CheckDataFin();
  void Fallback(Time now);
  bool CanFallBackOn(const Subflow& sf) const;
  void FallBackOn(Subflow& sf, Time now);
  void ChecksumFailed(Subflow& sf, uint64_t dsn,
                      absl::Span<const uint8_t> bytes, Time now);
  void OnMpFail(Subflow& sf, const wire::MpFail& fail, Time now);
  void AddFallbackOptions(Subflow& sf, wire::OptionWriter& writer);
  static bool AcksNewData(const Subflow& sf, const wire::Segment& s);
  void ResetWithReason(Subflow& sf, wire::TcpRstReason reason, Time now);

  // Runs after every entry point: moves data into subflows, closes, and
  // tells the application.
  void AfterEvent(Time now);
  void Pump(Time now);
  bool WriteChunk(Subflow& sf, uint64_t offset, uint64_t length, Time now);
  // The redundant scheduler: each subflow sends what it has not carried yet.
  void CatchUpRedundant(Time now);
  void ClosePeerClosedSubflows(Time now);
  // In CLOSE_WAIT while the connection goes on (and not closing it yet).
  bool PeerClosedAndOpen(const Subflow& sf) const;
  void MaybeFinish(Time now);
  void CloseConnection(MptcpCloseReason reason, Time now);

  // Path management (mptcp_path_management.cc).
  // ADD_ADDR (or its echo), REMOVE_ADDR or MP_PRIO, sent on a pure ACK.
  struct Signal {
    wire::MptcpOption option;
    std::optional<uint32_t> subflow_id;  // MP_PRIO: on that subflow only
  };
  struct PendingAnnounce {
    wire::AddAddr add;  // with its HMAC
    Time resend_at = kNever;
    int retries = 0;
  };
  Subflow* FindByPmId(pm::SubflowId id);
  void Apply(pm::Actions actions);
  absl::Status Apply(absl::StatusOr<pm::Actions> actions);
  void StartPathManager(Time now);
  void RunPathManager(Time now);
  void ExecuteAction(const pm::Action& action, Time now);
  void SendSignals(Time now);
  void PathTimers(Time now);
  bool DataLevelOutstanding() const;
  bool DataWindowClosed() const;
  Duration DataRetransmitTimeout() const;
  void ArmDataTimer(Time now);
  void DataTimerExpired(Time now);
  void FreeFailedJoins();
  Time PathDeadline() const;
  // Adds a pending signal for `sf` to an outgoing pure ACK; true if it did.
  bool AddSignalOption(Subflow& sf, wire::OptionWriter& writer);
  void OnAddAddr(Subflow& sf, const wire::AddAddr& add, Time now);
  void OnRemoveAddr(const wire::RemoveAddr& remove, Time now);
  void ReportSubflowEnd(Subflow& sf, Time now);
  void ReportJoinEstablished(Subflow& sf, Time now);

  // Events for the sink (mptcp_events.h), queued where the fact is learnt
  // and delivered by AfterEvent. The Queue* helpers do nothing without a
  // sink, before building anything.
  struct QueuedEvent {
    enum class Kind {
      kEstablished,
      kFallback,
      kSubflowEstablished,
      kSubflowClosed,
      kSubflowPriority,
      kAddressAnnounced,
      kAddressRemoved,
    };
    Kind kind = Kind::kEstablished;
    SubflowEvent subflow;
    SubflowCloseReason close;
    uint8_t address_id = 0;
    wire::IpAddress address;
    uint16_t port = 0;
  };
  void QueueEvent(QueuedEvent::Kind kind);
  void QueueSubflowEvent(QueuedEvent::Kind kind, const Subflow& sf);
  void QueueAddressEvent(QueuedEvent::Kind kind, uint8_t id,
                         const wire::IpAddress& address, uint16_t port);
  void DeliverEvents(Time now);
  uint8_t LocalAddressId(const wire::IpAddress& address) const;
  void Reinject(Subflow& sf);

  MptcpConfig config_;
  MptcpOwner* owner_;
  tcp::TcpOutput* output_;
  std::unique_ptr<sched::Scheduler> scheduler_;
  // Shared by the subflows' coupled congestion controls (lia, olia, balia).
  std::shared_ptr<cc::CouplingGroup> coupling_;
  std::vector<std::unique_ptr<Subflow>> subflows_;
  uint32_t next_subflow_id_ = 0;
  bool is_client_ = false;
  int depth_ = 0;  // nesting of entry points

  // Keys.
  uint64_t local_key_ = 0;
  uint64_t remote_key_ = 0;
  bool have_remote_key_ = false;
  uint32_t local_token_ = 0;
  uint32_t remote_token_ = 0;
  uint64_t local_idsn_ = 0;
  uint64_t remote_idsn_ = 0;
  bool checksums_ = false;
  bool fallback_ = false;
  bool mptcp_ = false;  // options are in use (not fallen back, not plain)
  // Client: the peer showed it has our key (a DATA_ACK arrived).
  bool peer_confirmed_ = false;
  bool peer_uses_dsn64_ = false;

  // Data level, sending (offsets from IDSN_local + 1).
  tcp::SendBuffer send_;
  uint64_t data_snd_nxt_ = 0;  // next offset not yet given to any subflow
  uint64_t data_una_ = 0;      // offset DATA_ACKed
  // RFC 8684 3.3.4: the peer's receive window is shared by all subflows and
  // counted from the DATA_ACK; new data is not sent past its right edge
  // (the furthest DATA_ACK + window seen). Unknown until a DATA_ACK comes.
  std::optional<uint64_t> data_wnd_end_;
  std::optional<uint64_t> segment_data_ack_;  // this segment's, as an offset
  std::deque<std::pair<uint64_t, uint64_t>> reinject_;  // [begin, end)
  bool close_requested_ = false;
  bool fast_close_when_acked_ = false;  // CloseFast
  // For ChunksByScheduler: chunks counted before the last SetScheduler.
  std::map<std::string, uint64_t> chunks_by_earlier_schedulers_;
  uint64_t chunks_at_switch_ = 0;
  uint64_t fin_offset_ = 0;
  bool subflows_fin_sent_ = false;
  bool fin_acked_ = false;
  bool wants_writable_ = false;
  // Data-level retransmission (Linux's mptcp_retransmit_timer): bytes a
  // subflow acknowledged but whose DATA_ACK got lost, or a DATA_FIN that
  // rode on a lost pure ACK, have no subflow that will send them again.
  Time data_rtx_at_ = kNever;
  int data_rtx_backoff_ = 0;

  // Data level, receiving (offsets from IDSN_remote + 1).
  tcp::ReceiveBuffer recv_;
  std::optional<uint64_t> peer_fin_offset_;
  bool peer_fin_received_ = false;
  std::vector<uint8_t> scratch_;

  // Lifecycle.
  bool established_ = false;
  bool established_reported_ = false;
  bool readable_pending_ = false;
  bool aborting_ = false;
  bool closed_ = false;
  bool closed_reported_ = false;
  MptcpCloseReason close_reason_ = MptcpCloseReason::kNormal;
  MptcpStats stats_;
  MptcpEventSink* event_sink_ = nullptr;
  std::vector<QueuedEvent> events_;  // for event_sink_, not delivered yet

  // Path management.
  std::unique_ptr<pm::PathManager> pm_;
  SubflowOpener* opener_ = nullptr;
  bool pm_started_ = false;
  std::deque<pm::Action> pm_actions_;
  std::deque<Signal> signals_;              // options waiting for a pure ACK
  std::vector<PendingAnnounce> announces_;  // ADD_ADDRs not echoed yet
  // Every valid ADD_ADDR not removed since, accepted by the path manager or
  // not: a manager switched in may accept what the old one had no room for.
  std::vector<pm::RemoteAddress> learnt_addresses_;
};

}  // namespace plait::mptcp

#endif  // PLAIT_DATAPLANE_MPTCP_MPTCP_CONNECTION_H_
