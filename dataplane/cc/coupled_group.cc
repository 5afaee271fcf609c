#include "dataplane/cc/coupled_group.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "dataplane/base/time.h"

namespace plait::cc {

uint64_t CouplingGroup::Member::inter_loss_bytes() const {
  return std::max(bytes_acked - loss2, loss2 - loss1);
}

CouplingGroup::MemberId CouplingGroup::Join(uint64_t cwnd) {
  const MemberId id = next_id_++;
  members_[id].cwnd = cwnd;
  return id;
}

void CouplingGroup::Leave(MemberId id) { members_.erase(id); }

void CouplingGroup::SetWindow(MemberId id, uint64_t cwnd) {
  auto it = members_.find(id);
  if (it != members_.end()) it->second.cwnd = cwnd;
}

void CouplingGroup::SetSmoothedRtt(MemberId id, Duration srtt) {
  if (srtt <= Duration(0)) return;
  auto it = members_.find(id);
  if (it != members_.end()) it->second.srtt = srtt;
}

void CouplingGroup::AddBytesAcked(MemberId id, uint64_t bytes) {
  auto it = members_.find(id);
  if (it != members_.end()) it->second.bytes_acked += bytes;
}

void CouplingGroup::RecordLoss(MemberId id) {
  auto it = members_.find(id);
  if (it == members_.end()) return;
  Member& m = it->second;
  if (m.bytes_acked == m.loss2) return;
  m.loss1 = m.loss2;
  m.loss2 = m.bytes_acked;
}

size_t CouplingGroup::members_with_rtt() const {
  return std::count_if(members_.begin(), members_.end(), [](const auto& entry) {
    return entry.second.has_rtt();
  });
}

uint64_t CouplingGroup::total_window() const {
  uint64_t total = 0;
  for (const auto& [id, m] : members_) total += m.cwnd;
  return total;
}

}  // namespace plait::cc
