// The state and bookkeeping shared by every path manager: subflows, remote
// addresses, endpoints, limits, local path state, and "slots" (the subflows a
// manager wants, re-created after failures). Managers add slots and
// announcements from the hooks; this class opens slots within the limits,
// handles failures, backoff and path changes, and implements the requests.
// Internal to dataplane/pm: users go through path_manager.h and registry.h.
#ifndef PLAIT_DATAPLANE_PM_PATH_MANAGER_BASE_H_
#define PLAIT_DATAPLANE_PM_PATH_MANAGER_BASE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/wire/ip_address.h"

namespace plait::pm {

class PathManagerBase : public PathManager {
 public:
  explicit PathManagerBase(const PathManagerConfig& config);

  Actions OnConnectionEstablished(Time now,
                                  const InitialSubflow& initial) override;
  Actions OnAddAddr(Time now, const RemoteAddress& address) override;
  Actions OnRemoveAddr(Time now, absl::Span<const uint8_t> ids) override;
  Actions OnSubflowEstablished(Time now, SubflowId id) override;
  Actions OnSubflowClosed(Time now, SubflowId id,
                          const SubflowFailure& failure) override;
  Actions OnJoinFailed(Time now, SubflowId id,
                       const SubflowFailure& failure) override;
  absl::StatusOr<SubflowId> OnPeerJoin(Time now, const PeerJoin& join) override;
  absl::StatusOr<Actions> OnLocalEndpointAdded(
      Time now, const Endpoint& endpoint) override;
  absl::StatusOr<Actions> OnLocalEndpointRemoved(Time now, uint8_t id) override;
  Actions OnLocalPathDown(Time now, const LocalPath& path) override;
  Actions OnLocalPathUp(Time now, const LocalPath& path) override;
  Actions OnTimer(Time now) override;
  Time next_deadline() const override;

  absl::StatusOr<Actions> OpenSubflow(Time now,
                                      const SubflowRequest& request) override;
  absl::StatusOr<Actions> CloseSubflow(Time now, SubflowId id,
                                       bool reset) override;
  absl::StatusOr<Actions> Announce(Time now, uint8_t local_id) override;
  absl::StatusOr<Actions> WithdrawAnnouncement(Time now,
                                               uint8_t local_id) override;
  absl::StatusOr<Actions> SetBackup(Time now, SubflowId id,
                                    bool backup) override;
  absl::StatusOr<Actions> SetEndpointBackup(Time now, uint8_t id,
                                            bool backup) override;

  PathManagerState ExportState() const override;
  Actions Adopt(Time now, const PathManagerState& state) override;

  std::vector<SubflowInfo> Subflows() const override;
  std::vector<RemoteAddress> RemoteAddresses() const override;
  const std::vector<Endpoint>& endpoints() const override { return endpoints_; }
  const PathManagerStats& stats() const override { return stats_; }

 protected:
  // --- Hooks: add slots (AddSlot*) and announcements (AnnounceEndpoint). ---
  virtual void AfterEstablished(Time now, Actions& out) {}
  virtual void AfterAddAddr(Time now, const RemoteAddress& address,
                            Actions& out) {}
  virtual void AfterEndpointAdded(Time now, const Endpoint& endpoint,
                                  Actions& out) {}

  // --- For the managers. ---
  const InitialSubflow& initial() const { return initial_; }
  const PathManagerConfig& config() const { return config_; }
  // The slot holding the initial subflow, so it is re-created like others
  // (opened at once when an adopted connection has lost it).
  void AddInitialSlot();
  // A slot from `endpoint` (nullptr: the initial local address) to the known
  // remote address `remote_id`. Skipped when the families differ or an equal
  // slot exists (same local address and port, remote address and port,
  // port_index).
  void AddSlot(const Endpoint* endpoint, uint8_t remote_id,
               uint16_t local_port = 0, int port_index = 0);
  // Emits ADD_ADDR for the endpoint unless announced already.
  void AnnounceEndpoint(const Endpoint& endpoint, Actions& out);

 private:
  struct Subflow {
    SubflowInfo info;
    std::optional<std::string> interface;
    std::optional<uint32_t> slot;  // the slot it fills
    bool counted = true;           // counts against limits.max_subflows
  };
  struct Slot {
    uint32_t key = 0;
    std::optional<uint8_t> endpoint_id;  // nullopt: the initial local address
    uint8_t local_id = 0;
    wire::IpAddress local;
    uint16_t local_port = 0;
    int port_index = 0;
    std::optional<std::string> interface;
    uint8_t remote_id = 0;
    wire::IpAddress remote;
    uint16_t remote_port = 0;
    bool backup = false;
    bool counted = true;               // false for the initial subflow's slot
    std::optional<SubflowId> subflow;  // live subflow filling it
    bool opened_before = false;        // the next open is a re-creation
    int failures = 0;                  // consecutive
    Time retry_at = Time::min();       // not before
    bool gave_up = false;              // until the path comes up again
    bool disabled = false;             // never again
  };

  bool Established(Time now);  // counts events before establishment
  const Endpoint* FindEndpoint(uint8_t id) const;
  const RemoteAddress* FindRemote(uint8_t id) const;
  uint16_t RemotePort(const RemoteAddress& remote) const;
  Slot* FindSlot(uint32_t key);
  // Local address id of a local address: 0 for the initial one, else the
  // endpoint's, else 0.
  uint8_t LocalIdOf(const wire::IpAddress& address) const;
  std::optional<std::string> InterfaceOf(const wire::IpAddress& address) const;
  bool PathIsUp(const wire::IpAddress& address,
                const std::optional<std::string>& interface) const;
  static bool PathMatches(const LocalPath& path, const wire::IpAddress& address,
                          const std::optional<std::string>& interface);
  int CountedSubflows() const;
  bool HasRoom() const;
  bool SlotWaitsForTimer(const Slot& slot) const;
  void OpenSlot(Time now, Slot& slot, Actions& out);
  // Adoption: puts the adopted subflows into the slots the policy added.
  void FillSlots(Actions& out);
  // Opens every slot that may be opened now.
  void Reconcile(Time now, Actions& out);
  // A slot's subflow failed (join failure, timeout, reset).
  void SlotFailed(Time now, Slot& slot, const SubflowFailure& failure);
  // Removes a live subflow and emits its close.
  void CloseLive(SubflowId id, CloseCause cause, bool reset, uint8_t reason,
                 Actions& out);
  // The subflow ended on its own (closed or join failed).
  Actions SubflowEnded(Time now, SubflowId id, const SubflowFailure& failure,
                       bool join_failed);

  PathManagerConfig config_;
  std::vector<Endpoint> endpoints_;
  bool established_ = false;
  InitialSubflow initial_;
  std::vector<RemoteAddress> remotes_;  // id 0 first
  int add_addr_accepted_ = 0;
  std::map<SubflowId, Subflow> subflows_;
  SubflowId next_subflow_id_ = kInitialSubflowId + 1;
  std::vector<Slot> slots_;  // in creation order: the order they open in
  uint32_t next_slot_key_ = 0;
  std::set<uint8_t> announced_;
  std::vector<wire::IpAddress> down_addresses_;
  std::set<std::string> down_interfaces_;
  PathManagerStats stats_;
};

}  // namespace plait::pm

#endif  // PLAIT_DATAPLANE_PM_PATH_MANAGER_BASE_H_
