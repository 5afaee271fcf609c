#include "dataplane/tcp/interval_set.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace plait::tcp {

uint64_t IntervalSet::Add(uint64_t begin, uint64_t end) {
  if (begin >= end) return 0;
  // First range that overlaps or touches [begin, end): its end >= begin.
  iterator first =
      std::partition_point(ranges_.begin(), ranges_.end(),
                           [begin](const Range& r) { return r.end < begin; });
  // One past the last range that overlaps or touches: its begin > end.
  iterator last = std::partition_point(
      first, ranges_.end(), [end](const Range& r) { return r.begin <= end; });
  if (first == last) {
    ranges_.insert(first, Range{begin, end});
    total_ += end - begin;
    return end - begin;
  }
  // The merged ranges and [begin, end) form one contiguous hull.
  uint64_t existing = 0;
  for (iterator it = first; it != last; ++it) existing += it->size();
  const Range hull{std::min(begin, first->begin),
                   std::max(end, std::prev(last)->end)};
  *first = hull;
  ranges_.erase(std::next(first), last);
  const uint64_t added = hull.size() - existing;
  total_ += added;
  return added;
}

uint64_t IntervalSet::Remove(uint64_t begin, uint64_t end) {
  if (begin >= end) return 0;
  // First range with an offset >= begin.
  iterator it =
      std::partition_point(ranges_.begin(), ranges_.end(),
                           [begin](const Range& r) { return r.end <= begin; });
  if (it == ranges_.end() || it->begin >= end) return 0;
  if (it->begin < begin && it->end > end) {
    // Strictly inside one range: split it.
    const Range right{end, it->end};
    it->end = begin;
    ranges_.insert(std::next(it), right);
    total_ -= end - begin;
    return end - begin;
  }
  uint64_t removed = 0;
  if (it->begin < begin) {
    removed += it->end - begin;
    it->end = begin;
    ++it;
  }
  iterator last = it;
  while (last != ranges_.end() && last->end <= end) {
    removed += last->size();
    ++last;
  }
  if (last != ranges_.end() && last->begin < end) {
    removed += end - last->begin;
    last->begin = end;
  }
  ranges_.erase(it, last);
  total_ -= removed;
  return removed;
}

uint64_t IntervalSet::RemoveBelow(uint64_t offset) {
  if (ranges_.empty() || ranges_.front().begin >= offset) return 0;
  return Remove(0, offset);
}

IntervalSet::const_iterator IntervalSet::FirstEndingAfter(
    uint64_t offset) const {
  return std::partition_point(
      ranges_.begin(), ranges_.end(),
      [offset](const Range& r) { return r.end <= offset; });
}

IntervalSet::const_iterator IntervalSet::Find(uint64_t offset) const {
  const_iterator it = FirstEndingAfter(offset);
  if (it != ranges_.end() && it->begin <= offset) return it;
  return ranges_.end();
}

bool IntervalSet::Contains(uint64_t offset) const {
  return Find(offset) != ranges_.end();
}

bool IntervalSet::Covers(uint64_t begin, uint64_t end) const {
  if (begin >= end) return true;
  const_iterator it = Find(begin);
  return it != ranges_.end() && it->end >= end;
}

uint64_t IntervalSet::FirstGapAfter(uint64_t offset) const {
  const_iterator it = Find(offset);
  // Ranges are non-adjacent, so a range's end is never in the set.
  return it == ranges_.end() ? offset : it->end;
}

std::string IntervalSet::ToString() const {
  std::string out = "{";
  for (const Range& r : ranges_) {
    if (out.size() > 1) out += " ";
    absl::StrAppend(&out, "[", r.begin, ",", r.end, ")");
  }
  out += "}";
  return out;
}

}  // namespace plait::tcp
