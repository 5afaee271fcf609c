#include "dataplane/sched/scheduler.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>

#include "absl/types/span.h"

namespace plait::sched {

const char* ActionName(Action action) {
  switch (action) {
    case Action::kSend:
      return "send";
    case Action::kNothingToSend:
      return "nothing-to-send";
    case Action::kWindowFull:
      return "window-full";
    case Action::kNoUsableSubflow:
      return "no-usable-subflow";
    case Action::kNoRoom:
      return "no-room";
    case Action::kWaitForFaster:
      return "wait-for-faster";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, Action action) {
  return os << ActionName(action);
}

std::ostream& operator<<(std::ostream& os, const Target& target) {
  return os << "{subflow " << target.subflow_id << ", " << target.max_bytes
            << " bytes}";
}

bool IsUsable(const SubflowView& subflow) {
  return subflow.established && !subflow.potentially_failed && subflow.mss > 0;
}

uint64_t CwndRoom(const SubflowView& subflow) {
  if (subflow.in_rto_recovery) return 0;
  const uint64_t used = subflow.bytes_in_flight + subflow.queued_unsent_bytes;
  return subflow.cwnd_bytes > used ? subflow.cwnd_bytes - used : 0;
}

bool UseBackupSubflows(absl::Span<const SubflowView> subflows) {
  for (const SubflowView& subflow : subflows) {
    if (!subflow.backup && IsUsable(subflow)) return false;
  }
  return true;
}

uint64_t WindowLeft(const ConnectionView& connection) {
  return connection.send_window_bytes > connection.bytes_in_flight
             ? connection.send_window_bytes - connection.bytes_in_flight
             : 0;
}

uint64_t ChunkBytes(const ConnectionView& connection) {
  return std::min({connection.max_chunk_bytes, connection.bytes_to_schedule,
                   WindowLeft(connection)});
}

namespace internal {
namespace {

// Lower srtt first, then lower id.
bool Faster(const SubflowView& a, const SubflowView& b) {
  if (a.srtt != b.srtt) return a.srtt < b.srtt;
  return a.id < b.id;
}

}  // namespace

std::optional<Action> CheckConnection(const ConnectionView& connection) {
  if (connection.bytes_to_schedule == 0 || connection.max_chunk_bytes == 0) {
    return Action::kNothingToSend;
  }
  if (WindowLeft(connection) == 0) return Action::kWindowFull;
  return std::nullopt;
}

Decision Halt(Action action) {
  Decision decision;
  decision.action = action;
  return decision;
}

const SubflowView* LowestRttWithRoom(absl::Span<const SubflowView> subflows,
                                     bool use_backups) {
  const SubflowView* best = nullptr;
  for (const SubflowView& subflow : subflows) {
    if (!IsCandidate(subflow, use_backups) || CwndRoom(subflow) == 0) continue;
    if (best == nullptr || Faster(subflow, *best)) best = &subflow;
  }
  return best;
}

const SubflowView* LowestRtt(absl::Span<const SubflowView> subflows,
                             bool use_backups) {
  const SubflowView* best = nullptr;
  for (const SubflowView& subflow : subflows) {
    if (!IsCandidate(subflow, use_backups)) continue;
    if (best == nullptr || Faster(subflow, *best)) best = &subflow;
  }
  return best;
}

Decision NoSubflow(absl::Span<const SubflowView> subflows, bool use_backups) {
  for (const SubflowView& subflow : subflows) {
    if (IsCandidate(subflow, use_backups)) return Halt(Action::kNoRoom);
  }
  return Halt(Action::kNoUsableSubflow);
}

Decision SendOn(const SubflowView& subflow, uint64_t chunk) {
  Decision decision;
  decision.action = Action::kSend;
  decision.chunk_bytes = chunk;
  decision.targets.push_back(
      Target{subflow.id, std::min(chunk, CwndRoom(subflow))});
  return decision;
}

Decision WaitFor(const SubflowView& faster) {
  Decision decision;
  decision.action = Action::kWaitForFaster;
  decision.wait_for_subflow_id = faster.id;
  return decision;
}

}  // namespace internal
}  // namespace plait::sched
