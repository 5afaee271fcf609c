// Turns what happens to the daemon's connections into the API's events
// (api::EventHub): the core's MptcpEventSink callbacks, the bridges'
// open and close, and the policy's changes. It also carries out a
// profile's "reset on fallback", after the callback that reported it.
// Loop thread only.
#ifndef PLAIT_DATAPLANE_DAEMON_EVENT_RECORDER_H_
#define PLAIT_DATAPLANE_DAEMON_EVENT_RECORDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "dataplane/api/event_hub.h"
#include "dataplane/mptcp/mptcp_events.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/runtime/event_loop.h"

namespace plait::daemon {

class EventRecorder : public mptcp::MptcpEventSink {
 public:
  struct Counts {
    uint64_t fallbacks = 0;
    uint64_t resets_on_fallback = 0;
  };

  // `hub` and `loop` must outlive the recorder; Attach before traffic.
  EventRecorder(api::EventHub* hub, runtime::EventLoop* loop,
                std::function<double()> unix_now);
  // The bridges whose connections the events name, and what sends a
  // connection's packets after the recorder reset it.
  void Attach(proxy::BridgeSet* bridges, std::function<void()> kick) {
    bridges_ = bridges;
    kick_ = std::move(kick);
  }

  void ConnectionOpened(const proxy::BridgeInfo& info);
  void ConnectionClosed(const proxy::Bridge& bridge,
                        const proxy::BridgeInfo& info);
  void PolicyApplied(const std::string& version);
  void PolicyRefused(const std::string& reason);

  // mptcp::MptcpEventSink
  void OnEstablished(const mptcp::MptcpConnection& conn, Time now) override;
  void OnFallback(const mptcp::MptcpConnection& conn, Time now) override;
  void OnSubflowEstablished(const mptcp::MptcpConnection& conn, Time now,
                            const mptcp::SubflowEvent& subflow) override;
  void OnSubflowClosed(const mptcp::MptcpConnection& conn, Time now,
                       const mptcp::SubflowEvent& subflow,
                       const mptcp::SubflowCloseReason& reason) override;
  void OnSubflowPriority(const mptcp::MptcpConnection& conn, Time now,
                         const mptcp::SubflowEvent& subflow) override;
  void OnAddressAnnounced(const mptcp::MptcpConnection& conn, Time now,
                          uint8_t remote_id, const wire::IpAddress& address,
                          uint16_t port) override;
  void OnAddressRemoved(const mptcp::MptcpConnection& conn, Time now,
                        uint8_t remote_id) override;

  const Counts& counts() const { return counts_; }

 private:
  v1::Event Make(v1::EventType type, uint64_t connection_id) const;
  v1::Event MakeSubflow(v1::EventType type, const mptcp::MptcpConnection& conn,
                        const mptcp::SubflowEvent& subflow) const;
  // The id of the bridge that owns `conn` (0 if none does).
  uint64_t IdOf(const mptcp::MptcpConnection& conn) const;

  api::EventHub* const hub_;
  runtime::EventLoop* const loop_;
  const std::function<double()> unix_now_;
  proxy::BridgeSet* bridges_ = nullptr;
  std::function<void()> kick_;
  Counts counts_;
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_EVENT_RECORDER_H_
