// Hand-built views for the scheduler tests.
#ifndef PLAIT_DATAPLANE_SCHED_TEST_VIEWS_H_
#define PLAIT_DATAPLANE_SCHED_TEST_VIEWS_H_

#include <cstdint>

#include "dataplane/base/time.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched::testing {

inline constexpr uint64_t kMss = 1000;
inline const Time kT0 = TimeFromEpoch(Seconds(100));

// An established regular subflow with the given srtt, cwnd and bytes in
// flight (cwnd room = cwnd - in_flight).
inline SubflowView Subflow(uint32_t id, Duration srtt, uint64_t cwnd_bytes,
                           uint64_t in_flight = 0) {
  SubflowView view;
  view.id = id;
  view.established = true;
  view.mss = kMss;
  view.cwnd_bytes = cwnd_bytes;
  view.bytes_in_flight = in_flight;
  view.srtt = srtt;
  view.rttvar = srtt / 4;
  return view;
}

inline SubflowView Backup(SubflowView view) {
  view.backup = true;
  return view;
}

inline SubflowView Failed(SubflowView view) {
  view.potentially_failed = true;
  return view;
}

inline SubflowView NotEstablished(SubflowView view) {
  view.established = false;
  return view;
}

// A connection with `to_schedule` bytes waiting, chunks of at most
// `max_chunk`, and a wide-open peer window.
inline ConnectionView Connection(uint64_t to_schedule,
                                 uint64_t max_chunk = kMss, Time now = kT0) {
  ConnectionView view;
  view.now = now;
  view.bytes_to_schedule = to_schedule;
  view.max_chunk_bytes = max_chunk;
  view.send_window_bytes = uint64_t{1} << 40;
  view.bytes_in_flight = 0;
  return view;
}

}  // namespace plait::sched::testing

#endif  // PLAIT_DATAPLANE_SCHED_TEST_VIEWS_H_
