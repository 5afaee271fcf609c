// Owns one file descriptor and closes it once.
#ifndef PLAIT_DATAPLANE_RUNTIME_SCOPED_FD_H_
#define PLAIT_DATAPLANE_RUNTIME_SCOPED_FD_H_

namespace plait::runtime {

class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { reset(); }

  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor (if any) and takes `fd`. close() errors are
  // ignored: Linux frees the descriptor even when close reports one, and
  // retrying could close a number another thread has just been given.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_SCOPED_FD_H_
