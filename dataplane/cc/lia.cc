#include "dataplane/cc/lia.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "dataplane/base/time.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {
namespace {

struct LiaSums {
  size_t count = 0;
  double total_cwnd = 0;  // bytes
  double max_term = 0;    // max_k cwnd_k / rtt_k^2, bytes / s^2
  double sum_rate = 0;    // sum_k cwnd_k / rtt_k, bytes / s
};

LiaSums Sums(const CouplingGroup& group) {
  LiaSums s;
  for (const auto& [id, m] : group.members()) {
    if (!m.has_rtt()) continue;
    const double w = static_cast<double>(m.cwnd);
    const double rtt = ToSeconds(m.srtt);
    ++s.count;
    s.total_cwnd += w;
    s.max_term = std::max(s.max_term, w / (rtt * rtt));
    s.sum_rate += w / rtt;
  }
  return s;
}

}  // namespace

double LiaAlpha(const CouplingGroup& group) {
  const LiaSums s = Sums(group);
  if (s.count < 2) return 1.0;
  return s.total_cwnd * s.max_term / (s.sum_rate * s.sum_rate);
}

double LiaBytesPerMss(const CouplingGroup& group, CouplingGroup::MemberId id) {
  const CouplingGroup::Member& self = group.member(id);
  const double own = static_cast<double>(self.cwnd);
  if (!self.has_rtt()) return static_cast<double>(group.total_window());
  const LiaSums s = Sums(group);
  if (s.count < 2) return own;
  // cwnd_total / alpha.
  const double coupled = s.sum_rate * s.sum_rate / s.max_term;
  return std::max(own, coupled);
}

Lia::Lia(std::shared_ptr<CouplingGroup> group, uint64_t mss,
         uint64_t initial_window_segments)
    : CoupledCongestionControl(std::move(group), mss, initial_window_segments) {
}

void Lia::CongestionAvoidance(uint64_t bytes_acked) {
  GrowByThreshold(bytes_acked,
                  [this] { return LiaBytesPerMss(coupling(), member_id()); });
}

}  // namespace plait::cc
