#include "dataplane/cc/balia.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "dataplane/base/time.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {
namespace {

struct BaliaRates {
  size_t count = 0;
  double own = 0;  // x_r, bytes / s
  double max = 0;  // x_max
  double sum = 0;  // sum_k x_k
};

BaliaRates Rates(const CouplingGroup& group, CouplingGroup::MemberId self) {
  BaliaRates r;
  for (const auto& [id, m] : group.members()) {
    if (!m.has_rtt()) continue;
    const double x = static_cast<double>(m.cwnd) / ToSeconds(m.srtt);
    ++r.count;
    r.sum += x;
    r.max = std::max(r.max, x);
    if (id == self) r.own = x;
  }
  return r;
}

}  // namespace

double BaliaAlpha(const CouplingGroup& group, CouplingGroup::MemberId id) {
  if (!group.member(id).has_rtt()) return 1.0;
  const BaliaRates r = Rates(group, id);
  if (r.count < 2 || !(r.own > 0)) return 1.0;
  return r.max / r.own;
}

double BaliaBytesPerMss(const CouplingGroup& group,
                        CouplingGroup::MemberId id) {
  const CouplingGroup::Member& self = group.member(id);
  const double own_cwnd = static_cast<double>(self.cwnd);
  if (!self.has_rtt()) return static_cast<double>(group.total_window());
  const BaliaRates r = Rates(group, id);
  if (r.count < 2 || !(r.own > 0)) return own_cwnd;
  const double coupled =
      10 * own_cwnd * r.sum * r.sum / ((r.own + r.max) * (4 * r.own + r.max));
  return std::max(own_cwnd, coupled);
}

uint64_t BaliaReducedWindow(uint64_t window, double alpha) {
  if (!(alpha > 1.0)) return window / 2;
  const double factor = std::min(alpha, 1.5);
  const double kept =
      std::floor(static_cast<double>(window) * (2.0 - factor) / 2.0);
  return std::min(static_cast<uint64_t>(kept), window / 2);
}

Balia::Balia(std::shared_ptr<CouplingGroup> group, uint64_t mss,
             uint64_t initial_window_segments)
    : CoupledCongestionControl(std::move(group), mss, initial_window_segments) {
}

void Balia::CongestionAvoidance(uint64_t bytes_acked) {
  GrowByThreshold(bytes_acked,
                  [this] { return BaliaBytesPerMss(coupling(), member_id()); });
}

uint64_t Balia::ReducedWindow(uint64_t bytes_in_flight) const {
  return BaliaReducedWindow(bytes_in_flight,
                            BaliaAlpha(coupling(), member_id()));
}

}  // namespace plait::cc
