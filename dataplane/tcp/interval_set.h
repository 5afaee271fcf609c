// A set of uint64 stream offsets kept as sorted, disjoint, non-adjacent
// half-open ranges [begin, end). Used for the SACK scoreboard and for
// reassembly. Typical sets hold a handful of ranges, so they live inline
// (no heap allocation up to kInlineRanges ranges; beyond that the vector
// grows once and keeps its capacity).
//
// Adding a range that touches an existing one merges them: {[0,5), [5,9)}
// is stored as {[0,9)}. Empty ranges (begin >= end) are ignored everywhere.
#ifndef PLAIT_DATAPLANE_TCP_INTERVAL_SET_H_
#define PLAIT_DATAPLANE_TCP_INTERVAL_SET_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/container/inlined_vector.h"

namespace plait::tcp {

struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;  // exclusive

  uint64_t size() const { return end - begin; }
  bool empty() const { return end <= begin; }
  bool Contains(uint64_t offset) const {
    return begin <= offset && offset < end;
  }
  friend bool operator==(const Range& a, const Range& b) {
    return a.begin == b.begin && a.end == b.end;
  }
  friend bool operator!=(const Range& a, const Range& b) { return !(a == b); }
};

class IntervalSet {
 public:
  static constexpr size_t kInlineRanges = 8;
  using Ranges = absl::InlinedVector<Range, kInlineRanges>;
  using const_iterator = Ranges::const_iterator;

  IntervalSet() = default;

  // Adds [begin, end). Returns how many offsets were not in the set before.
  uint64_t Add(uint64_t begin, uint64_t end);
  uint64_t Add(const Range& r) { return Add(r.begin, r.end); }

  // Removes [begin, end). Returns how many offsets were removed.
  uint64_t Remove(uint64_t begin, uint64_t end);
  // Removes every offset below `offset`. Returns how many were removed.
  uint64_t RemoveBelow(uint64_t offset);

  // Empties the set (and frees heap storage, if the set ever outgrew the
  // inline capacity).
  void Clear() {
    ranges_.clear();
    total_ = 0;
  }

  bool Contains(uint64_t offset) const;
  // True if every offset of [begin, end) is in the set (true when empty).
  bool Covers(uint64_t begin, uint64_t end) const;
  // The smallest offset >= `offset` that is not in the set.
  uint64_t FirstGapAfter(uint64_t offset) const;
  // The range containing `offset`, or end() if none does.
  const_iterator Find(uint64_t offset) const;
  // The first range whose end is > `offset` (it contains `offset` or lies
  // wholly above it), or end().
  const_iterator FirstEndingAfter(uint64_t offset) const;

  const_iterator begin() const { return ranges_.begin(); }
  const_iterator end() const { return ranges_.end(); }
  const Range& operator[](size_t i) const { return ranges_[i]; }
  const Range& front() const { return ranges_.front(); }
  const Range& back() const { return ranges_.back(); }
  // Number of ranges.
  size_t size() const { return ranges_.size(); }
  bool empty() const { return ranges_.empty(); }
  // Number of offsets in the set.
  uint64_t total_bytes() const { return total_; }

  // "{[0,5) [9,12)}", for test failure messages.
  std::string ToString() const;

  friend bool operator==(const IntervalSet& a, const IntervalSet& b) {
    return a.ranges_ == b.ranges_;
  }
  friend bool operator!=(const IntervalSet& a, const IntervalSet& b) {
    return !(a == b);
  }

 private:
  using iterator = Ranges::iterator;

  Ranges ranges_;
  uint64_t total_ = 0;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_INTERVAL_SET_H_
