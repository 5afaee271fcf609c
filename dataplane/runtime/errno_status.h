// Failed system calls as absl::Status. Every error the runtime returns names
// the call (and its interesting arguments) and the errno text, because an
// operator reading "epoll_ctl(EPOLL_CTL_ADD, fd 7): Bad file descriptor" can
// act on it where "internal error" helps nobody.
#ifndef PLAIT_DATAPLANE_RUNTIME_ERRNO_STATUS_H_
#define PLAIT_DATAPLANE_RUNTIME_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace plait::runtime {

// `call` describes what failed, e.g. "eventfd" or "epoll_ctl(EPOLL_CTL_DEL,
// fd 7)"; the result reads "<call>: <strerror(error_number)>" with the status
// code absl derives from the errno value.
inline absl::Status ErrnoStatus(absl::string_view call, int error_number) {
  return absl::ErrnoToStatus(error_number, call);
}

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_ERRNO_STATUS_H_
