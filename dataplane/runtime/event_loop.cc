#include "dataplane/runtime/event_loop.h"

#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dataplane/runtime/errno_status.h"
#include "dataplane/runtime/monotonic_clock.h"

namespace plait::runtime {
namespace {

// epoll user data for the loop's own descriptors. Registrations use
// (generation << 32 | fd) with generation >= 1, which never collides.
constexpr uint64_t kWakeToken = 1;
constexpr uint64_t kSignalToken = 2;

uint64_t WatchToken(int fd, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | static_cast<uint32_t>(fd);
}

uint32_t EpollEvents(Interest interest) {
  // EPOLLRDHUP so that a half-closed peer is reported as hangup even to a
  // callback that only wants writes.
  uint32_t events = EPOLLRDHUP;
  if (interest == Interest::kRead || interest == Interest::kReadWrite) {
    events |= EPOLLIN;
  }
  if (interest == Interest::kWrite || interest == Interest::kReadWrite) {
    events |= EPOLLOUT;
  }
  return events;
}

const char* InterestName(Interest interest) {
  switch (interest) {
    case Interest::kNone:
      return "none";
    case Interest::kRead:
      return "read";
    case Interest::kWrite:
      return "write";
    case Interest::kReadWrite:
      return "read+write";
  }
  return "?";
}

// epoll_pwait2 (Linux 5.11) takes a timespec, so timers are not rounded up
// to whole milliseconds; older kernels answer ENOSYS, and seccomp filters
// that do not know it (container runtimes) answer ENOSYS or EPERM. Either on
// a loop's first call means "unavailable": we fall back to epoll_wait for
// good, in every loop of the process.
std::atomic<bool> have_epoll_pwait2{true};

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(
    EventLoopOptions options) {
  if (options.max_events <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EventLoop: max_events must be positive, got ", options.max_events));
  }
  ScopedFd epoll_fd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd.valid()) return ErrnoStatus("epoll_create1", errno);
  ScopedFd wake_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd.valid()) return ErrnoStatus("eventfd", errno);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, wake_fd.get(), &ev) != 0) {
    return ErrnoStatus(
        absl::StrCat("epoll_ctl(EPOLL_CTL_ADD, eventfd ", wake_fd.get(), ")"),
        errno);
  }
  Clock* clock =
      options.clock != nullptr ? options.clock : MonotonicClock::Get();
  return std::unique_ptr<EventLoop>(new EventLoop(
      clock, options.max_events, std::move(epoll_fd), std::move(wake_fd)));
}

EventLoop::EventLoop(Clock* clock, int max_events, ScopedFd epoll_fd,
                     ScopedFd wake_fd)
    : clock_(clock),
      max_events_(max_events),
      epoll_fd_(std::move(epoll_fd)),
      wake_fd_(std::move(wake_fd)),
      events_(static_cast<size_t>(max_events)) {
  sigemptyset(&signal_mask_);
}

EventLoop::~EventLoop() = default;

// --- File descriptors --------------------------------------------------------

absl::Status EventLoop::Register(int fd, Interest interest,
                                 IoCallback callback) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EventLoop::Register: bad descriptor ", fd));
  }
  if (!callback) {
    return absl::InvalidArgumentError(
        absl::StrCat("EventLoop::Register(fd ", fd, "): empty callback"));
  }
  if (watches_.contains(fd)) {
    return absl::AlreadyExistsError(
        absl::StrCat("EventLoop::Register: fd ", fd, " is already registered"));
  }
  const uint32_t generation = next_generation_++;
  if (next_generation_ == 0) next_generation_ = 1;  // 0 is never valid
  struct epoll_event ev = {};
  ev.events = EpollEvents(interest);
  ev.data.u64 = WatchToken(fd, generation);
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return ErrnoStatus(absl::StrCat("epoll_ctl(EPOLL_CTL_ADD, fd ", fd, ", ",
                                    InterestName(interest), ")"),
                       errno);
  }
  watches_.emplace(
      fd, std::make_unique<Watch>(Watch{fd, generation, std::move(callback)}));
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, Interest interest) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    return absl::NotFoundError(
        absl::StrCat("EventLoop::Modify: fd ", fd, " is not registered"));
  }
  struct epoll_event ev = {};
  ev.events = EpollEvents(interest);
  ev.data.u64 = WatchToken(fd, it->second->generation);
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return ErrnoStatus(absl::StrCat("epoll_ctl(EPOLL_CTL_MOD, fd ", fd, ", ",
                                    InterestName(interest), ")"),
                       errno);
  }
  return absl::OkStatus();
}

absl::Status EventLoop::Unregister(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) {
    return absl::NotFoundError(
        absl::StrCat("EventLoop::Unregister: fd ", fd, " is not registered"));
  }
  retired_.push_back(std::move(it->second));
  watches_.erase(it);
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0) {
    return ErrnoStatus(absl::StrCat("epoll_ctl(EPOLL_CTL_DEL, fd ", fd, ")"),
                       errno);
  }
  return absl::OkStatus();
}

bool EventLoop::IsRegistered(int fd) const { return watches_.contains(fd); }

// --- Timers ------------------------------------------------------------------

EventLoop::TimerId EventLoop::RunAt(Time deadline, Task task) {
  const TimerId id = timers_.Add(std::move(task), /*one_shot=*/true);
  timers_.Arm(id, deadline);
  return id;
}

EventLoop::TimerId EventLoop::RunAfter(Duration delay, Task task) {
  // Saturated: a huge delay means "never", not a deadline in the past.
  return RunAt(SaturatingAdd(clock_->Now(), delay), std::move(task));
}

EventLoop::TimerId EventLoop::CreateTimer(Task task) {
  return timers_.Add(std::move(task), /*one_shot=*/false);
}

bool EventLoop::Rearm(TimerId id, Time deadline) {
  return timers_.Arm(id, deadline);
}

bool EventLoop::Cancel(TimerId id) { return timers_.Remove(id); }

void EventLoop::RunTimers() {
  if (timers_.NextDeadline() == kNever) return;
  const Time now = clock_->Now();
  timers_.RunExpired(
      now, [this](Time deadline) { lag_.Record(clock_->Now() - deadline); });
}

// --- Cross-thread work -------------------------------------------------------

void EventLoop::Post(Task task) {
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    posted_.push_back(std::move(task));
    if (!wake_pending_) {
      wake_pending_ = true;
      wake = true;
    }
  }
  if (wake) Wake();
}

void EventLoop::Wake() {
  const uint64_t one = 1;
  // Cannot fail in practice: EAGAIN needs 2^64-2 unread wake-ups, and the
  // descriptor is the loop's own. If it ever did, the loop would still find
  // the work on its next wake-up; there is no caller that could do better.
  ssize_t n = write(wake_fd_.get(), &one, sizeof(one));
  (void)n;
}

void EventLoop::DrainWakeFd() {
  uint64_t count;
  ssize_t n = read(wake_fd_.get(), &count, sizeof(count));
  (void)n;  // EAGAIN: already drained; nothing else is possible on an eventfd
}

void EventLoop::RunPosted() {
  std::vector<Task> batch;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(posted_);
    // Cleared only after the eventfd was read (DrainWakeFd runs first): a
    // post that sees false writes again, so no task waits for a wake-up that
    // was already consumed.
    wake_pending_ = false;
  }
  for (Task& task : batch) task();
}

// --- Signals -----------------------------------------------------------------

absl::Status EventLoop::HandleSignal(int signo, SignalCallback callback) {
  if (!callback) {
    return absl::InvalidArgumentError(
        absl::StrCat("EventLoop::HandleSignal(", signo, "): empty callback"));
  }
  sigset_t one;
  sigemptyset(&one);
  if (sigaddset(&one, signo) != 0) {
    return ErrnoStatus(absl::StrCat("sigaddset(", signo, ")"), errno);
  }
  if (signo == SIGKILL || signo == SIGSTOP) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EventLoop::HandleSignal: signal ", signo, " cannot be caught"));
  }
  // pthread_sigmask returns the error instead of setting errno.
  sigset_t previous;
  if (int err = pthread_sigmask(SIG_BLOCK, &one, &previous); err != 0) {
    return ErrnoStatus(absl::StrCat("pthread_sigmask(SIG_BLOCK, ", signo, ")"),
                       err);
  }
  // On failure the signal is not handled: leave the mask as it was, or the
  // signal would stay blocked with nobody reading it.
  auto fail = [&previous](absl::Status status) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return status;
  };
  sigset_t mask = signal_mask_;
  sigaddset(&mask, signo);
  const int fd = signalfd(signal_fd_.valid() ? signal_fd_.get() : -1, &mask,
                          SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    return fail(ErrnoStatus(absl::StrCat("signalfd(", signo, ")"), errno));
  }
  if (!signal_fd_.valid()) {
    ScopedFd created(fd);
    struct epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.u64 = kSignalToken;
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return fail(ErrnoStatus(
          absl::StrCat("epoll_ctl(EPOLL_CTL_ADD, signalfd ", fd, ")"), errno));
    }
    signal_fd_ = std::move(created);
  }
  signal_mask_ = mask;
  signal_callbacks_[signo] = std::move(callback);
  return absl::OkStatus();
}

void EventLoop::DispatchSignals() {
  while (true) {
    struct signalfd_siginfo info;
    const ssize_t n = read(signal_fd_.get(), &info, sizeof(info));
    // EAGAIN: none left. A short read cannot happen with a full-size buffer.
    if (n != static_cast<ssize_t>(sizeof(info))) return;
    const int signo = static_cast<int>(info.ssi_signo);
    auto it = signal_callbacks_.find(signo);
    if (it == signal_callbacks_.end()) continue;
    // A copy, so that the callback may replace its own handler.
    SignalCallback callback = it->second;
    callback(signo);
  }
}

// --- Running -----------------------------------------------------------------

absl::Status EventLoop::Wait(Duration timeout, int* ready) {
  const int epfd = epoll_fd_.get();
  if (have_epoll_pwait2.load(std::memory_order_relaxed)) {
    struct timespec ts;
    struct timespec* tsp = nullptr;
    if (timeout != Duration::max()) {
      ts = DurationToTimespec(timeout);
      tsp = &ts;
    }
    const int n = epoll_pwait2(epfd, events_.data(), max_events_, tsp, nullptr);
    if (n >= 0) {
      epoll_pwait2_worked_ = true;
      *ready = n;
      return absl::OkStatus();
    }
    if (errno == EINTR) {
      *ready = 0;
      return absl::OkStatus();
    }
    // EPERM only counts before the call ever worked: a filter denies a
    // syscall from the start, so a later EPERM is a real error.
    const bool unavailable =
        errno == ENOSYS || (errno == EPERM && !epoll_pwait2_worked_);
    if (!unavailable) return ErrnoStatus("epoll_pwait2", errno);
    have_epoll_pwait2.store(false, std::memory_order_relaxed);
  }
  int timeout_ms = -1;
  if (timeout != Duration::max()) {
    // Rounded up: waking before the deadline would only loop back here.
    const int64_t ms = (timeout.count() + 999'999) / 1'000'000;
    timeout_ms = static_cast<int>(std::min<int64_t>(ms, INT_MAX));
  }
  const int n = epoll_wait(epfd, events_.data(), max_events_, timeout_ms);
  if (n >= 0) {
    *ready = n;
    return absl::OkStatus();
  }
  if (errno == EINTR) {
    *ready = 0;
    return absl::OkStatus();
  }
  return ErrnoStatus("epoll_wait", errno);
}

absl::Status EventLoop::RunOnce(Duration max_wait) {
  loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  Duration timeout = std::max(max_wait, Duration::zero());
  if (const Time next = timers_.NextDeadline(); next != kNever) {
    const Duration until = std::max(next - clock_->Now(), Duration::zero());
    timeout = std::min(timeout, until);
  }
  int ready = 0;
  if (absl::Status s = Wait(timeout, &ready); !s.ok()) return s;

  bool woken = false;
  bool signalled = false;
  for (int i = 0; i < ready; ++i) {
    const struct epoll_event& ev = events_[static_cast<size_t>(i)];
    if (ev.data.u64 == kWakeToken) {
      woken = true;
      continue;
    }
    if (ev.data.u64 == kSignalToken) {
      signalled = true;
      continue;
    }
    const int fd = static_cast<int>(ev.data.u64 & 0xffffffffu);
    const uint32_t generation = static_cast<uint32_t>(ev.data.u64 >> 32);
    auto it = watches_.find(fd);
    if (it == watches_.end() || it->second->generation != generation) {
      continue;  // unregistered earlier in this batch
    }
    Readiness r;
    r.readable = (ev.events & EPOLLIN) != 0;
    r.writable = (ev.events & EPOLLOUT) != 0;
    r.hangup = (ev.events & (EPOLLHUP | EPOLLRDHUP)) != 0;
    r.error = (ev.events & EPOLLERR) != 0;
    // The Watch stays alive until retired_ is cleared below, even if the
    // callback unregisters it.
    Watch* watch = it->second.get();
    watch->callback(r);
  }
  if (woken) {
    DrainWakeFd();
    RunPosted();
  }
  if (signalled) DispatchSignals();
  RunTimers();
  retired_.clear();
  return absl::OkStatus();
}

absl::Status EventLoop::Run() {
  while (!stop_requested_.exchange(false, std::memory_order_acq_rel)) {
    if (absl::Status s = RunOnce(Duration::max()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void EventLoop::Stop() {
  stop_requested_.store(true, std::memory_order_release);
  if (!IsLoopThread()) Wake();
}

bool EventLoop::IsLoopThread() const {
  return loop_thread_.load(std::memory_order_relaxed) ==
         std::this_thread::get_id();
}

}  // namespace plait::runtime
