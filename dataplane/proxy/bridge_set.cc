#include "dataplane/proxy/bridge_set.h"

#include <utility>
#include <vector>

namespace plait::proxy {

BridgeSet::BridgeSet(runtime::EventLoop* loop, stack::Stack* stack,
                     Bridge::Options options, std::function<void()> after_work,
                     Events events)
    : loop_(loop),
      stack_(stack),
      options_(options),
      after_work_(std::move(after_work)),
      events_(std::move(events)),
      self_(std::make_shared<BridgeSet*>(this)) {}

BridgeSet::~BridgeSet() { *self_ = nullptr; }

Bridge* BridgeSet::Create(runtime::ScopedFd socket, bool connecting,
                          BridgeInfo info) {
  info.id = next_id_++;
  info.opened = loop_->Now();
  Bridge::Hooks hooks;
  hooks.after_work = after_work_;
  hooks.on_finished = [this](Bridge* bridge) { Finished(bridge); };
  auto bridge = std::make_unique<Bridge>(loop_, std::move(socket), connecting,
                                         options_, std::move(hooks));
  Bridge* raw = bridge.get();
  raw->set_fast_close_on_close(info.fast_close_on_close);
  Entry& entry = bridges_[raw];
  entry.bridge = std::move(bridge);
  entry.info = std::move(info);
  by_id_[entry.info.id] = raw;
  by_owner_[raw] = raw;
  if (events_.on_open) events_.on_open(*raw, entry.info);
  if (draining_) raw->BeginDrain();
  return raw;
}

void BridgeSet::Finished(Bridge* bridge) {
  auto it = bridges_.find(bridge);
  if (it == bridges_.end()) return;
  if (events_.on_close) events_.on_close(*bridge, it->second.info);
  // Called from inside the bridge (or its connection): destroy it later.
  std::weak_ptr<BridgeSet*> weak = self_;
  loop_->Post([weak, bridge] {
    std::shared_ptr<BridgeSet*> self = weak.lock();
    if (self == nullptr || *self == nullptr) return;
    // A finished bridge's connection is closed (Bridge::MaybeFinish) and
    // makes no more callbacks: the stack may free it.
    if (bridge->connection() != nullptr) {
      (*self)->stack_->Release(bridge->connection()).IgnoreError();
    }
    auto entry = (*self)->bridges_.find(bridge);
    if (entry != (*self)->bridges_.end()) {
      (*self)->by_id_.erase(entry->second.info.id);
      (*self)->by_owner_.erase(bridge);
      (*self)->bridges_.erase(entry);
    }
    (*self)->MaybeDrained();
  });
}

void BridgeSet::Drain(std::function<void()> done) {
  draining_ = true;
  drained_ = std::move(done);
  std::vector<Bridge*> all;
  for (auto& [bridge, entry] : bridges_) all.push_back(bridge);
  for (Bridge* bridge : all) bridge->BeginDrain();
  MaybeDrained();
}

void BridgeSet::MaybeDrained() {
  if (!draining_ || !bridges_.empty() || !drained_) return;
  auto done = std::move(drained_);
  drained_ = nullptr;
  done();
}

void BridgeSet::ForEach(
    const std::function<void(const Bridge&, const BridgeInfo&)>& f) const {
  for (const auto& [bridge, entry] : bridges_) f(*bridge, entry.info);
}

void BridgeSet::ForEachFrom(
    uint64_t first_id,
    const std::function<bool(Bridge&, const BridgeInfo&)>& f) const {
  for (auto it = by_id_.lower_bound(first_id); it != by_id_.end(); ++it) {
    const Entry& entry = bridges_.at(it->second);
    if (!f(*entry.bridge, entry.info)) return;
  }
}

const BridgeInfo* BridgeSet::InfoOfOwner(
    const mptcp::MptcpOwner* owner) const {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return nullptr;
  return &bridges_.at(it->second).info;
}

Bridge* BridgeSet::Find(uint64_t id, const BridgeInfo** info) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  if (info != nullptr) *info = &bridges_.at(it->second).info;
  return it->second;
}

}  // namespace plait::proxy
