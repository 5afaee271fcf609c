// The bridges of one proxy role (outbound forwarders, inbound servers): owns
// them, destroys each once it has finished (outside of any callback), and
// drains them all on shutdown.
#ifndef PLAIT_DATAPLANE_PROXY_BRIDGE_SET_H_
#define PLAIT_DATAPLANE_PROXY_BRIDGE_SET_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "dataplane/proxy/bridge.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/runtime/scoped_fd.h"
#include "dataplane/stack/stack.h"

namespace plait::proxy {

// What the logs say about a bridge.
struct BridgeInfo {
  uint64_t id = 0;
  std::string kind;    // "forward", "transparent" or "serve"
  std::string client;  // who connected (a TCP or MPTCP peer)
  std::string target;  // where the bytes go
  // The listener it came from, and the policy's choice (ConnectionPlan).
  std::string listener;
  std::string rule;
  std::string profile;
  bool reset_on_fallback = false;
  bool fast_close_on_close = false;
  Time opened;  // set by BridgeSet::Create
};

class BridgeSet {
 public:
  struct Events {
    std::function<void(const Bridge&, const BridgeInfo&)> on_open;
    // The bridge has finished; it is destroyed after this returns.
    std::function<void(const Bridge&, const BridgeInfo&)> on_close;
  };

  // `after_work` is every bridge's Hooks::after_work. The loop and `stack`
  // must outlive the set. A finished bridge's connection is released to
  // `stack` (Stack::Release), which frees it once its subflows are done.
  BridgeSet(runtime::EventLoop* loop, stack::Stack* stack,
            Bridge::Options options, std::function<void()> after_work,
            Events events);
  ~BridgeSet();
  BridgeSet(const BridgeSet&) = delete;
  BridgeSet& operator=(const BridgeSet&) = delete;

  // A new bridge for `socket` (see Bridge's constructor); info.id is set.
  Bridge* Create(runtime::ScopedFd socket, bool connecting, BridgeInfo info);

  // Drains every bridge (Bridge::BeginDrain), and those created later;
  // `done` runs once every bridge has finished (at once if none is open).
  void Drain(std::function<void()> done);

  size_t size() const { return bridges_.size(); }
  void ForEach(
      const std::function<void(const Bridge&, const BridgeInfo&)>& f) const;
  // The bridges with id >= `first_id`, in id order, while `f` returns true
  // (the API's pages).
  void ForEachFrom(
      uint64_t first_id,
      const std::function<bool(Bridge&, const BridgeInfo&)>& f) const;
  // Null if no bridge has `id` (never had, or destroyed).
  Bridge* Find(uint64_t id, const BridgeInfo** info = nullptr) const;
  // The info of the bridge that is `owner` (a connection's owner()), or
  // null if it is no bridge of this set.
  const BridgeInfo* InfoOfOwner(const mptcp::MptcpOwner* owner) const;

 private:
  struct Entry {
    std::unique_ptr<Bridge> bridge;
    BridgeInfo info;
  };
  void Finished(Bridge* bridge);
  void MaybeDrained();

  runtime::EventLoop* const loop_;  // Not owned.
  stack::Stack* const stack_;       // Not owned.
  const Bridge::Options options_;
  std::function<void()> after_work_;
  Events events_;
  absl::flat_hash_map<Bridge*, Entry> bridges_;
  std::map<uint64_t, Bridge*> by_id_;
  absl::flat_hash_map<const mptcp::MptcpOwner*, Bridge*> by_owner_;
  uint64_t next_id_ = 1;
  bool draining_ = false;
  std::function<void()> drained_;
  // Posted tasks hold a weak reference: the set may be gone when they run.
  std::shared_ptr<BridgeSet*> self_;
};

}  // namespace plait::proxy

#endif  // PLAIT_DATAPLANE_PROXY_BRIDGE_SET_H_
