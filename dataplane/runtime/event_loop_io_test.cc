// Readiness callbacks on real pipes.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/runtime/scoped_fd.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

struct Pipe {
  ScopedFd read_end;
  ScopedFd write_end;
};

Pipe MakePipe() {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  return {ScopedFd(fds[0]), ScopedFd(fds[1])};
}

void WriteByte(const Pipe& p, char c = 'x') {
  ASSERT_EQ(write(p.write_end.get(), &c, 1), 1);
}

// A wait long enough never to matter; used where the test expects an event
// to be ready already, so RunOnce returns at once.
constexpr Duration kPatience = Seconds(10);

std::unique_ptr<EventLoop> NewLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return *std::move(loop);
}

TEST(EventLoopIoTest, ReadableCallbackGetsTheData) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  std::string got;
  ASSERT_TRUE(loop->Register(p.read_end.get(), Interest::kRead,
                             [&](Readiness r) {
                               EXPECT_TRUE(r.readable);
                               EXPECT_FALSE(r.writable);
                               char buf[16];
                               ssize_t n = read(p.read_end.get(), buf, 16);
                               if (n > 0) got.append(buf, n);
                             })
                  .ok());
  EXPECT_TRUE(loop->RunOnce(Duration::zero()).ok());
  EXPECT_EQ(got, "");
  WriteByte(p, 'a');
  WriteByte(p, 'b');
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(got, "ab");
}

TEST(EventLoopIoTest, LevelTriggeredReportsWhatIsLeft) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  int calls = 0;
  ASSERT_TRUE(loop->Register(p.read_end.get(), Interest::kRead,
                             [&](Readiness) {
                               ++calls;
                               char c;
                               ASSERT_EQ(read(p.read_end.get(), &c, 1), 1);
                             })
                  .ok());
  WriteByte(p);
  WriteByte(p);
  WriteByte(p);
  // One byte per callback: the rest is reported again, without new writes.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(loop->RunOnce(Duration::zero()).ok());
  EXPECT_EQ(calls, 3);
}

TEST(EventLoopIoTest, WriteInterestAndModify) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  int writable = 0;
  int readable = 0;
  ASSERT_TRUE(loop->Register(p.write_end.get(), Interest::kWrite,
                             [&](Readiness r) {
                               EXPECT_TRUE(r.writable);
                               ++writable;
                             })
                  .ok());
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(writable, 1);
  // Nothing to send: drop write interest, and the callback goes quiet.
  ASSERT_TRUE(loop->Modify(p.write_end.get(), Interest::kNone).ok());
  EXPECT_TRUE(loop->RunOnce(Duration::zero()).ok());
  EXPECT_EQ(writable, 1);
  ASSERT_TRUE(loop->Register(p.read_end.get(), Interest::kNone,
                             [&](Readiness) { ++readable; })
                  .ok());
  WriteByte(p);
  EXPECT_TRUE(loop->RunOnce(Duration::zero()).ok());
  EXPECT_EQ(readable, 0);
  ASSERT_TRUE(loop->Modify(p.read_end.get(), Interest::kReadWrite).ok());
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(readable, 1);
}

TEST(EventLoopIoTest, HangupWhenTheWriterCloses) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  bool hangup = false;
  ASSERT_TRUE(loop->Register(p.read_end.get(), Interest::kRead,
                             [&](Readiness r) {
                               hangup = r.hangup;
                               // Level-triggered: a hung-up descriptor must
                               // leave the loop, or it is reported forever.
                               EXPECT_TRUE(
                                   loop->Unregister(p.read_end.get()).ok());
                             })
                  .ok());
  p.write_end.reset();
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_TRUE(hangup);
  EXPECT_FALSE(loop->IsRegistered(p.read_end.get()));
}

TEST(EventLoopIoTest, UnregisterInsideABatchDropsPendingEvents) {
  auto loop = NewLoop();
  Pipe a = MakePipe();
  Pipe b = MakePipe();
  int calls = 0;
  // Whichever runs first unregisters both; the other, already collected in
  // the same epoll batch, must not run.
  auto cb = [&](Readiness) {
    ++calls;
    EXPECT_TRUE(loop->Unregister(a.read_end.get()).ok());
    EXPECT_TRUE(loop->Unregister(b.read_end.get()).ok());
  };
  ASSERT_TRUE(loop->Register(a.read_end.get(), Interest::kRead, cb).ok());
  ASSERT_TRUE(loop->Register(b.read_end.get(), Interest::kRead, cb).ok());
  WriteByte(a);
  WriteByte(b);
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(calls, 1);
}

TEST(EventLoopIoTest, ReRegisteringTheSameNumberInABatchIsNotConfused) {
  auto loop = NewLoop();
  Pipe a = MakePipe();
  Pipe b = MakePipe();
  int old_calls = 0;
  int new_calls = 0;
  const int fd_b = b.read_end.get();
  ASSERT_TRUE(
      loop->Register(a.read_end.get(), Interest::kRead,
                     [&](Readiness) {
                       // Replace b's registration while its event
                       // is pending in this batch.
                       EXPECT_TRUE(loop->Unregister(fd_b).ok());
                       EXPECT_TRUE(
                           loop->Register(fd_b, Interest::kRead,
                                          [&](Readiness) { ++new_calls; })
                               .ok());
                       EXPECT_TRUE(loop->Unregister(a.read_end.get()).ok());
                     })
          .ok());
  ASSERT_TRUE(
      loop->Register(fd_b, Interest::kRead, [&](Readiness) { ++old_calls; })
          .ok());
  WriteByte(a);
  WriteByte(b);
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  // Either a ran first (b's stale event dropped) or b's old callback did;
  // never both the old and new one in one batch, and never a crash.
  EXPECT_LE(old_calls + new_calls, 1);
  EXPECT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(new_calls, 1);
}

TEST(EventLoopIoTest, ErrorsNameTheProblem) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  auto noop = [](Readiness) {};
  ASSERT_TRUE(loop->Register(p.read_end.get(), Interest::kRead, noop).ok());
  absl::Status dup = loop->Register(p.read_end.get(), Interest::kRead, noop);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);

  // A number that is not an open descriptor: epoll_ctl says EBADF.
  const int closed = dup2(p.write_end.get(), 900);
  ASSERT_EQ(closed, 900);
  close(closed);
  absl::Status bad = loop->Register(closed, Interest::kRead, noop);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("epoll_ctl(EPOLL_CTL_ADD, fd 900"),
            std::string::npos)
      << bad;
  EXPECT_NE(bad.message().find("Bad file descriptor"), std::string::npos)
      << bad;

  EXPECT_EQ(loop->Unregister(12345).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(loop->Modify(12345, Interest::kRead).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(loop->Register(-1, Interest::kRead, noop).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loop->Register(p.write_end.get(), Interest::kRead, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EventLoopIoTest, StopFromACallbackEndsRun) {
  auto loop = NewLoop();
  Pipe p = MakePipe();
  int calls = 0;
  ASSERT_TRUE(loop->Register(p.read_end.get(), Interest::kRead,
                             [&](Readiness) {
                               ++calls;
                               loop->Stop();  // data left unread on purpose
                             })
                  .ok());
  WriteByte(p);
  EXPECT_TRUE(loop->Run().ok());
  EXPECT_EQ(calls, 1);
  // The stop request was consumed: Run can be entered again.
  EXPECT_TRUE(loop->Run().ok());
  EXPECT_EQ(calls, 2);
}

// Container runtimes' seccomp filters answer EPERM for syscalls they do not
// know. The loop must fall back to epoll_wait as it does for ENOSYS. The
// filter cannot be removed, so it is installed in a child process.
TEST(EventLoopIoTest, FallsBackWhenSeccompDeniesEpollPwait2) {
  constexpr int kNoSeccomp = 77;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof(filter) / sizeof(filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
      _exit(kNoSeccomp);
    }
    auto loop = EventLoop::Create();
    if (!loop.ok()) _exit(2);
    int runs = 0;
    // Twice: the fallback lasts.
    for (int i = 0; i < 2; ++i) {
      (*loop)->RunAfter(Milliseconds(1), [&] { ++runs; });
      if (!(*loop)->RunOnce(kPatience).ok()) _exit(3);
    }
    _exit(runs == 2 ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  if (WEXITSTATUS(status) == kNoSeccomp) GTEST_SKIP() << "no seccomp";
  // 3: RunOnce failed (epoll_pwait2: Operation not permitted).
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace plait::runtime
