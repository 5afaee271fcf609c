#include "dataplane/runtime/scoped_fd.h"

#include <unistd.h>

namespace plait::runtime {

void ScopedFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace plait::runtime
