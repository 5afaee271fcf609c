#include "dataplane/sched/ecf.h"

#include <algorithm>
#include <cstdint>

#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {
namespace {

using uint128 = unsigned __int128;

// Nanoseconds, negative clamped to zero.
uint128 Ns(Duration d) {
  return d.count() > 0 ? static_cast<uint128>(d.count()) : 0;
}

}  // namespace

Decision EcfScheduler::Schedule(const ConnectionView& connection,
                                absl::Span<const SubflowView> subflows) {
  if (auto halt = internal::CheckConnection(connection)) {
    return internal::Halt(*halt);
  }
  const bool use_backups = UseBackupSubflows(subflows);
  const SubflowView* slow = internal::LowestRttWithRoom(subflows, use_backups);
  if (slow == nullptr) return internal::NoSubflow(subflows, use_backups);
  const SubflowView* fast = internal::LowestRtt(subflows, use_backups);
  const uint64_t chunk = ChunkBytes(connection);
  if (fast->srtt < slow->srtt) {
    const uint128 k = connection.bytes_to_schedule;
    const uint128 cwnd_f = fast->cwnd_bytes;
    const uint128 cwnd_s = slow->cwnd_bytes;
    const uint128 srtt_f = Ns(fast->srtt);
    const uint128 srtt_s = Ns(slow->srtt);
    const uint128 delta = Ns(std::max(fast->rttvar, slow->rttvar));

    const uint128 x_f = std::max(k, cwnd_f);
    const uint128 lhs = srtt_f * (x_f + cwnd_f);
    const uint128 rhs = cwnd_f * (srtt_s + delta);
    if (kRBeta * lhs < kRBeta * rhs + waiting_ * rhs) {
      const uint128 x_s = std::max(k, cwnd_s);
      const uint128 lhs_s = srtt_s * x_s;
      const uint128 rhs_s = cwnd_s * (2 * srtt_f + delta);
      if (lhs_s >= rhs_s) {
        waiting_ = 1;
        return internal::WaitFor(*fast);
      }
    } else {
      waiting_ = 0;
    }
  }
  return internal::SendOn(*slow, chunk);
}

}  // namespace plait::sched
