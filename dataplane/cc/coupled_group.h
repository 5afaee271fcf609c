// The per-connection state that MPTCP's coupled congestion controls (LIA,
// OLIA, BALIA: lia.h, olia.h, balia.h) share between the subflows of one
// connection.
//
// Ownership and lifetime: one CouplingGroup per MPTCP connection, held by
// std::shared_ptr. The connection (whoever creates subflows) keeps one
// reference to hand to each new subflow's controller, and every coupled
// controller keeps one for its own lifetime, so the group outlives its last
// member whatever order the connection and its subflows are torn down in. A
// controller joins in its constructor and leaves in its destructor. The group
// holds no pointer to any controller, only plain per-member values that each
// controller pushes after every change of its own window or RTT, so there is
// no ownership cycle and nothing dangles when a subflow goes away mid-way.
//
// Not thread-safe: the subflows of one connection are driven from one thread
// (the connection's), as everything else in the sans-I/O core.
//
// Members without an RTT sample (a subflow that has just joined) take no part
// in the coupled sums: the reference implementations skip subflows whose srtt
// is 0 (mptcp_ccc_sk_can_send and friends). See each algorithm for what such a
// member's own increase is.
#ifndef PLAIT_DATAPLANE_CC_COUPLED_GROUP_H_
#define PLAIT_DATAPLANE_CC_COUPLED_GROUP_H_

#include <cstddef>
#include <cstdint>
#include <map>

#include "dataplane/base/time.h"

namespace plait::cc {

class CouplingGroup {
 public:
  // Unique within the group, never reused.
  using MemberId = uint64_t;

  struct Member {
    uint64_t cwnd = 0;  // bytes
    // The subflow's smoothed RTT; zero until it has an RTT sample.
    Duration srtt{0};
    // Bytes this subflow has had acknowledged since it joined (its snd_una
    // in the reference, which counts sequence numbers).
    uint64_t bytes_acked = 0;
    // OLIA's loss points (mptcp_olia.c mptcp_loss1..3), as values of
    // `bytes_acked`: loss3 is the current one, loss1 and loss2 where the last
    // two loss episodes began.
    uint64_t loss1 = 0;
    uint64_t loss2 = 0;

    bool has_rtt() const { return srtt > Duration(0); }
    // OLIA's l_r: max(loss3 - loss2, loss2 - loss1), the larger of the bytes
    // acked between the last two losses and those acked since the last one.
    uint64_t inter_loss_bytes() const;
  };

  CouplingGroup() = default;
  CouplingGroup(const CouplingGroup&) = delete;
  CouplingGroup& operator=(const CouplingGroup&) = delete;

  // Adds a member with window `cwnd` and no RTT sample.
  MemberId Join(uint64_t cwnd);
  // Removes a member; does nothing for an id that is not (or no longer) one.
  void Leave(MemberId id);
  bool Contains(MemberId id) const { return members_.contains(id); }

  // The setters below do nothing for an id that is not a member.
  void SetWindow(MemberId id, uint64_t cwnd);
  // A zero or negative `srtt` is ignored: once a member has an RTT it keeps
  // its last one.
  void SetSmoothedRtt(MemberId id, Duration srtt);
  // Advances the member's acknowledged-bytes counter (OLIA's loss3).
  void AddBytesAcked(MemberId id, uint64_t bytes);
  // A loss episode began on the member (mptcp_olia_set_state entering
  // Recovery, Loss or CWR): loss1 = loss2, loss2 = loss3, unless nothing was
  // acked since the previous loss point (loss3 == loss2).
  void RecordLoss(MemberId id);

  // The member's state; `id` must be a member.
  const Member& member(MemberId id) const { return members_.at(id); }
  // All members in joining order.
  const std::map<MemberId, Member>& members() const { return members_; }
  size_t size() const { return members_.size(); }
  // Members with an RTT sample: the reference's cnt_established for the
  // purposes of the coupled sums.
  size_t members_with_rtt() const;
  // Sum of all members' windows, with or without an RTT sample.
  uint64_t total_window() const;

 private:
  std::map<MemberId, Member> members_;
  MemberId next_id_ = 1;
};

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_COUPLED_GROUP_H_
