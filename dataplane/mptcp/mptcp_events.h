// What happens to an MPTCP connection, for an observer that is not its
// application: the daemon streams these as its API's events, after the
// Linux kernel's MPTCP netlink events (MPTCP_EVENT_ESTABLISHED,
// SUB_ESTABLISHED, SUB_CLOSED, SUB_PRIORITY, ANNOUNCED, REMOVED).
//
// Delivery. The connection queues an event where the fact is learnt (often
// inside a subflow engine's callback) and hands the queue to the sink once
// the entry point's protocol work is done, just before the MptcpOwner's
// callbacks: no engine is on the stack then and the connection's state is
// whole, so the const accessors a sink reads (subflow(i), stats(), ...) are
// consistent with the event. `now` is the entry point's time. Events of one
// connection arrive in the order the facts were learnt. Each fact is
// reported once; a connection without a sink (the default) queues nothing.
//
// A sink must not call into the connection from a callback (Write, Close,
// SetSubflowBackup, ...), nor destroy it: only read it through the const
// reference, record and queue. Acting on an event belongs after the call
// that caused it has returned.
//
// What is and is not reported, following Linux:
//  * OnEstablished once the initial subflow's handshake is complete, the
//    moment MptcpOwner::OnEstablished is called (Linux reports
//    MPTCP_EVENT_ESTABLISHED on full establishment, a DATA_ACK later on the
//    client; the API's connection state needs the handshake instead). A
//    connection that fell back at the handshake reports OnFallback, then
//    OnEstablished. The initial subflow has no OnSubflowEstablished of its
//    own: OnEstablished stands for it, as MPTCP_EVENT_ESTABLISHED does in
//    Linux, and SUB_ESTABLISHED is only for the MP_JOIN subflows.
//  * OnSubflowEstablished for an MP_JOIN subflow once it may carry data: on
//    the client when the fourth ACK (a DATA_ACK) arrived, on the server when
//    the third ACK's HMAC verified. A join that fails is not reported.
//  * OnSubflowClosed for a subflow reported established (the initial one
//    included) that ends while the connection carries on: not once the
//    connection is closed, aborted, or half-closing its subflows because
//    it ends (its DATA_FIN is DATA_ACKed), and not after a fallback (then
//    the subflow is the connection). Linux likewise sends SUB_CLOSED only
//    while the MPTCP socket is established. The last subflow lost is
//    reported before the connection closes (MptcpCloseReason::kSubflowsLost).
//  * OnSubflowPriority when either side's backup request of a reported
//    subflow changes: ours (SetSubflowBackup, through the path manager) or
//    the peer's MP_PRIO. SubflowEvent::backup is the resulting priority
//    (either side asking makes it a backup). A request that changes nothing
//    is not reported.
//  * OnAddressAnnounced for a valid ADD_ADDR (HMAC verified, not an echo)
//    whose id, address and port the peer had not announced already: a
//    retransmission (our echo was lost) is not a new fact.
//  * OnAddressRemoved for every address id of a REMOVE_ADDR from the peer,
//    announced or not (id 0 is its initial address), as Linux does.
//  * OnFallback once, when the connection becomes plain TCP: at the
//    handshake (the peer has no MPTCP, or the options were stripped before
//    the keys were exchanged) or later (stripped options, a DSS checksum
//    failure, the peer's MP_FAIL). Not for a connection configured without
//    MPTCP (MptcpConfig::enabled false): it never tried, and reports
//    OnEstablished only.
// The connection's closing is MptcpOwner::OnClosed's (the stack's owner
// knows it); it is not repeated here.
#ifndef PLAIT_DATAPLANE_MPTCP_MPTCP_EVENTS_H_
#define PLAIT_DATAPLANE_MPTCP_MPTCP_EVENTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "dataplane/base/time.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_owner.h"
#include "dataplane/wire/ip_address.h"

namespace plait::mptcp {

class MptcpConnection;

struct SubflowEvent {
  // The path manager's id, as MptcpConnection::subflow_pm_id gives it:
  // pm::kInitialSubflowId (0) for the initial subflow. nullopt for a subflow
  // opened by AddSubflow without JoinOptions::pm_id (Stack::AddSubflow's
  // plain form): the path manager does not know it, so no id would name it
  // to CloseSubflow or SetSubflowBackup, and 0 would be the initial one's.
  std::optional<pm::SubflowId> id;
  tcp::TcpEndpoints endpoints;
  bool backup = false;  // either side asked (MptcpConnection::subflow_backup)
};

// Why a subflow ended.
struct SubflowCloseReason {
  // From its TCP engine: kAborted when this side reset it (on request or
  // for a protocol error), kReset when the peer did.
  tcp::CloseReason tcp = tcp::CloseReason::kNormal;
  // The MP_TCPRST reason (wire::TcpRstReason, RFC 8684 3.6) that went with
  // the reset: the peer's on its RST (kReset), ours on our RST (kAborted).
  std::optional<uint8_t> tcprst_reason;
  // This side asked for it: CloseSubflow (or the path manager on its own,
  // e.g. the peer's REMOVE_ADDR, a local path down) or ResetSubflow.
  bool requested = false;
};

// "closed", "reset by peer (middlebox_interference)", "timeout", ... for the
// API's Event.reason.
std::string SubflowCloseReasonText(const SubflowCloseReason& reason);

// Every method has an empty default: a sink overrides what it wants.
class MptcpEventSink {
 public:
  virtual ~MptcpEventSink() = default;

  virtual void OnEstablished(const MptcpConnection& conn, Time now) {}
  virtual void OnFallback(const MptcpConnection& conn, Time now) {}
  virtual void OnSubflowEstablished(const MptcpConnection& conn, Time now,
                                    const SubflowEvent& subflow) {}
  virtual void OnSubflowClosed(const MptcpConnection& conn, Time now,
                               const SubflowEvent& subflow,
                               const SubflowCloseReason& reason) {}
  virtual void OnSubflowPriority(const MptcpConnection& conn, Time now,
                                 const SubflowEvent& subflow) {}
  // `port` is 0 when the ADD_ADDR has none (the peer's port of the
  // connection applies).
  virtual void OnAddressAnnounced(const MptcpConnection& conn, Time now,
                                  uint8_t remote_id,
                                  const wire::IpAddress& address,
                                  uint16_t port) {}
  virtual void OnAddressRemoved(const MptcpConnection& conn, Time now,
                                uint8_t remote_id) {}
};

}  // namespace plait::mptcp

#endif  // PLAIT_DATAPLANE_MPTCP_MPTCP_EVENTS_H_
