#include "dataplane/cc/olia.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/numeric/int128.h"
#include "dataplane/base/time.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {
namespace {

// RTT in whole microseconds, at least 1 and below 2^32, so that rtt^2 fits
// in 64 bits and l * rtt^2 in 128.
uint64_t RttMicros(Duration srtt) {
  const int64_t us = ToMicroseconds(srtt);
  return static_cast<uint64_t>(
      std::clamp<int64_t>(us, 1, (int64_t{1} << 32) - 1));
}

// A path's l / rtt^2 as an exact fraction.
struct Quality {
  uint64_t l;
  uint64_t rtt_squared;
};

Quality QualityOf(const CouplingGroup::Member& m) {
  const uint64_t rtt = RttMicros(m.srtt);
  return {m.inter_loss_bytes(), rtt * rtt};
}

// Sign of a.l / a.rtt^2 - b.l / b.rtt^2.
int Compare(const Quality& a, const Quality& b) {
  const absl::uint128 lhs = absl::uint128(a.l) * b.rtt_squared;
  const absl::uint128 rhs = absl::uint128(b.l) * a.rtt_squared;
  return lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
}

}  // namespace

OliaEpsilon OliaEpsilonOf(const CouplingGroup& group,
                          CouplingGroup::MemberId id) {
  const CouplingGroup::Member& self = group.member(id);
  if (!self.has_rtt()) return {};
  uint64_t paths = 0;
  uint64_t max_cwnd = 0;
  Quality best{0, 1};
  for (const auto& [other_id, m] : group.members()) {
    if (!m.has_rtt()) continue;
    ++paths;
    max_cwnd = std::max(max_cwnd, m.cwnd);
    const Quality q = QualityOf(m);
    if (Compare(q, best) >= 0) best = q;
  }
  uint64_t in_m = 0;
  uint64_t in_b_not_m = 0;
  for (const auto& [other_id, m] : group.members()) {
    if (!m.has_rtt()) continue;
    if (m.cwnd == max_cwnd) {
      ++in_m;
    } else if (Compare(QualityOf(m), best) == 0) {
      ++in_b_not_m;
    }
  }
  if (in_b_not_m == 0) return {};
  if (self.cwnd == max_cwnd) return {-1, paths * in_m};
  if (Compare(QualityOf(self), best) == 0) return {1, paths * in_b_not_m};
  return {};
}

double OliaWindowIncrease(const CouplingGroup& group,
                          CouplingGroup::MemberId id, uint64_t bytes_acked,
                          uint64_t mss) {
  const CouplingGroup::Member& self = group.member(id);
  const double scale =
      static_cast<double>(bytes_acked) * static_cast<double>(mss);
  if (!self.has_rtt()) {
    return scale / static_cast<double>(group.total_window());
  }
  const double own = static_cast<double>(self.cwnd);
  if (group.members_with_rtt() < 2) return scale / own;
  // sum_p w_p rtt_r / rtt_p: bytes.
  const double own_rtt = ToSeconds(self.srtt);
  double rate = 0;
  for (const auto& [other_id, m] : group.members()) {
    if (!m.has_rtt()) continue;
    rate += static_cast<double>(m.cwnd) * own_rtt / ToSeconds(m.srtt);
  }
  const double coupled = own / (rate * rate);
  return scale * (coupled + OliaEpsilonOf(group, id).value() / own);
}

Olia::Olia(std::shared_ptr<CouplingGroup> group, uint64_t mss,
           uint64_t initial_window_segments)
    : CoupledCongestionControl(std::move(group), mss, initial_window_segments) {
}

void Olia::CongestionAvoidance(uint64_t bytes_acked) {
  ApplySignedGrowth(
      OliaWindowIncrease(coupling(), member_id(), bytes_acked, mss()));
}

}  // namespace plait::cc
