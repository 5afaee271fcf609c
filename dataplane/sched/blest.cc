#include "dataplane/sched/blest.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {
namespace {

using uint128 = unsigned __int128;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

uint64_t Saturate(uint128 value) {
  return value > kMaxU64 ? kMaxU64 : static_cast<uint64_t>(value);
}

}  // namespace

void BlestScheduler::UpdateRanges(absl::Span<const SubflowView> subflows) {
  std::erase_if(ranges_, [&](const RttRange& range) {
    return std::none_of(
        subflows.begin(), subflows.end(),
        [&](const SubflowView& subflow) { return subflow.id == range.id; });
  });
  for (const SubflowView& subflow : subflows) {
    if (!subflow.established || subflow.srtt <= Duration::zero()) continue;
    auto it = std::find_if(
        ranges_.begin(), ranges_.end(),
        [&](const RttRange& range) { return range.id == subflow.id; });
    if (it == ranges_.end()) {
      ranges_.push_back(RttRange{subflow.id, subflow.srtt, subflow.srtt});
    } else {
      it->min = std::min(it->min, subflow.srtt);
      it->max = std::max(it->max, subflow.srtt);
    }
  }
}

BlestScheduler::RttRange BlestScheduler::RangeOf(
    const SubflowView& subflow) const {
  for (const RttRange& range : ranges_) {
    if (range.id == subflow.id) return range;
  }
  return RttRange{subflow.id, subflow.srtt, subflow.srtt};
}

void BlestScheduler::UpdateLambda(Time now, Duration min_srtt_slow) {
  if (!last_lambda_update_.has_value()) last_lambda_update_ = now;
  if (now - *last_lambda_update_ < min_srtt_slow) return;
  lambda_1000_ += window_blocked_ ? kLambdaBad1000 : -kLambdaGood1000;
  lambda_1000_ = std::clamp(lambda_1000_, kMinLambda1000, kMaxLambda1000);
  window_blocked_ = false;
  last_lambda_update_ = now;
}

Duration BlestScheduler::LingerTime(const SubflowView& slow) const {
  const RttRange range = RangeOf(slow);
  const uint64_t inflight = slow.bytes_in_flight + slow.mss;
  Duration estimate = range.max;
  if (inflight < slow.cwnd_bytes) {
    const uint128 slope = static_cast<uint128>(
        std::max<int64_t>((range.max - range.min).count(), 0));
    estimate =
        range.min +
        Nanoseconds(static_cast<int64_t>(slope * inflight / slow.cwnd_bytes));
  }
  return std::max(slow.srtt, estimate);
}

uint64_t BlestScheduler::FastBytes(const SubflowView& fast,
                                   Duration linger) const {
  const RttRange range = RangeOf(fast);
  const int64_t avg_rtt = (range.min.count() + range.max.count()) / 2;
  uint64_t rtts = 1;
  if (avg_rtt > 0 && linger.count() > 0) {
    rtts = static_cast<uint64_t>(linger.count() / avg_rtt) + 1;
  }
  const uint128 cwnd = fast.cwnd_bytes / fast.mss;
  uint128 packets;
  if (fast.ssthresh_bytes == kInfiniteSsthresh) {
    rtts = std::min<uint64_t>(rtts, kMaxSlowStartRtts);
    packets = cwnd * ((uint128{1} << rtts) - 1);
  } else {
    const uint128 ca_cwnd =
        std::max<uint128>(cwnd, fast.ssthresh_bytes / fast.mss + 1);
    packets = (ca_cwnd + (rtts - 1) / 2) * rtts;
  }
  return Saturate(packets * fast.mss * static_cast<uint128>(lambda_1000_) /
                  1000);
}

Decision BlestScheduler::Schedule(const ConnectionView& connection,
                                  absl::Span<const SubflowView> subflows) {
  UpdateRanges(subflows);
  if (!last_lambda_update_.has_value()) last_lambda_update_ = connection.now;
  const bool use_backups = UseBackupSubflows(subflows);
  const SubflowView* slow = internal::LowestRttWithRoom(subflows, use_backups);
  if (auto halt = internal::CheckConnection(connection)) {
    if (*halt == Action::kWindowFull && slow != nullptr) window_blocked_ = true;
    return internal::Halt(*halt);
  }
  if (slow == nullptr) return internal::NoSubflow(subflows, use_backups);
  const SubflowView* fast = internal::LowestRtt(subflows, use_backups);
  const uint64_t chunk = ChunkBytes(connection);
  if (fast->srtt < slow->srtt) {
    UpdateLambda(connection.now, RangeOf(*slow).min);
    const uint64_t fast_bytes = FastBytes(*fast, LingerTime(*slow));
    const uint64_t slow_bytes = std::min(chunk, CwndRoom(*slow)) +
                                slow->bytes_in_flight +
                                slow->queued_unsent_bytes;
    const uint64_t avail = connection.send_window_bytes > slow_bytes
                               ? connection.send_window_bytes - slow_bytes
                               : 0;
    if (fast_bytes > avail) return internal::WaitFor(*fast);
  }
  return internal::SendOn(*slow, chunk);
}

}  // namespace plait::sched
