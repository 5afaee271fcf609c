#include "dataplane/proxy/bridge.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/types/span.h"
#include "dataplane/proxy/socket_util.h"

namespace plait::proxy {
namespace {

using runtime::Interest;

// The loop reports a half-closed peer (EPOLLRDHUP) on every iteration for as
// long as the socket is registered, whatever the interest. While the bridge
// waits only for room to send on such a socket, it steps out of the loop
// for this long between tries rather than spin.
constexpr Duration kHangupRetry = Milliseconds(1);

}  // namespace

Bridge::Bridge(runtime::EventLoop* loop, runtime::ScopedFd socket,
               bool connecting, Options options, Hooks hooks)
    : loop_(loop),
      socket_(std::move(socket)),
      connecting_(connecting),
      options_(options),
      hooks_(std::move(hooks)),
      up_(options.chunk_bytes),
      down_(options.chunk_bytes) {
  UpdateInterest();
}

Bridge::~Bridge() {
  if (hangup_retry_ != runtime::EventLoop::kInvalidTimer) {
    loop_->Cancel(hangup_retry_);
  }
  if (registered_) (void)loop_->Unregister(socket_.get());
}

void Bridge::Attach(mptcp::MptcpConnection* connection) {
  connection_ = connection;
  if (!socket_.valid()) {
    // The socket failed before the connection existed. Not from here: the
    // stack is creating the connection.
    loop_->Post([this] {
      if (!connection_closed_) connection_->Abort(loop_->Now());
      if (hooks_.after_work) hooks_.after_work();
    });
  }
  UpdateInterest();
}

void Bridge::Fail() {
  failed_ = true;
  CloseSocket(/*reset=*/true);
  MaybeFinish();
}

void Bridge::BeginDrain() {
  if (socket_read_done_) return;
  socket_read_done_ = true;
  Work(loop_->Now());
  if (hooks_.after_work) hooks_.after_work();
}

void Bridge::OnEstablished(Time now) {
  Work(now);
  if (hooks_.after_work) hooks_.after_work();
}

void Bridge::OnReadable(Time now) {
  Work(now);
  if (hooks_.after_work) hooks_.after_work();
}

void Bridge::OnWritable(Time now) {
  Work(now);
  if (hooks_.after_work) hooks_.after_work();
}

void Bridge::OnClosed(Time now, mptcp::MptcpCloseReason reason) {
  connection_closed_ = true;
  close_reason_ = reason;
  if (reason != mptcp::MptcpCloseReason::kNormal) {
    up_begin_ = up_end_ = down_begin_ = down_end_ = 0;
    CloseSocket(/*reset=*/true);
  }
  // kNormal: both DATA_FINs are acknowledged; what is still buffered goes
  // out.
  Work(now);
}

void Bridge::Work(Time now) {
  // The connection calls back from inside Write and Read (OnClosed, for
  // one): a nested call only asks the outer one to go round again, so that
  // no pump runs while another holds a half-updated buffer.
  if (working_) {
    again_ = true;
    return;
  }
  working_ = true;
  do {
    again_ = false;
    PumpUp(now);
    PumpDown(now);
  } while (again_);
  working_ = false;
  UpdateInterest();
  MaybeCloseSocket();
  MaybeFinish();
}

void Bridge::OnSocket(runtime::Readiness readiness) {
  const Time now = loop_->Now();
  if (readiness.error) {
    const int error = SocketError(socket_.get());
    SocketFailed(error != 0 ? error : ECONNRESET, now);
  } else {
    if (connecting_ && (readiness.writable || readiness.hangup)) {
      const int error = SocketError(socket_.get());
      if (error != 0) {
        SocketFailed(error, now);
      } else {
        connecting_ = false;
      }
    }
    const bool idle_hangup =
        readiness.hangup && !readiness.readable && !readiness.writable;
    if (idle_hangup && registered_ && interest_ == Interest::kWrite) {
      (void)loop_->Unregister(socket_.get());
      registered_ = false;
      hangup_retry_ = loop_->RunAfter(kHangupRetry, [this] {
        hangup_retry_ = runtime::EventLoop::kInvalidTimer;
        UpdateInterest();
      });
    }
  }
  Work(now);
  if (hooks_.after_work) hooks_.after_work();
}

void Bridge::PumpUp(Time now) {
  int reads = 0;
  while (connection_ != nullptr && !connection_closed_) {
    if (up_begin_ < up_end_) {
      const size_t n = connection_->Write(
          absl::MakeConstSpan(up_.data() + up_begin_, up_end_ - up_begin_),
          now);
      up_begin_ += n;
      stats_.to_mptcp += n;
      // A short write: the connection calls OnWritable when room frees up.
      if (up_begin_ < up_end_) return;
      up_begin_ = up_end_ = 0;
      continue;
    }
    if (socket_read_done_) {
      if (!close_sent_) {
        close_sent_ = true;
        if (fast_close_on_close_ && socket_eof_) {
          connection_->CloseFast(now);
        } else {
          connection_->Close(now);
        }
      }
      return;
    }
    if (!socket_.valid() || connecting_ ||
        reads++ >= options_.reads_per_wakeup) {
      return;
    }
    const ssize_t r = read(socket_.get(), up_.data(), up_.size());
    if (r > 0) {
      up_end_ = static_cast<size_t>(r);
      NoteBuffered();
    } else if (r == 0) {
      socket_read_done_ = true;
      socket_eof_ = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else {
      SocketFailed(errno, now);
      return;
    }
  }
}

void Bridge::PumpDown(Time now) {
  int reads = 0;
  while (connection_ != nullptr && socket_.valid() && !connecting_) {
    if (down_begin_ < down_end_) {
      const ssize_t w = send(socket_.get(), down_.data() + down_begin_,
                             down_end_ - down_begin_, MSG_NOSIGNAL);
      if (w > 0) {
        down_begin_ += static_cast<size_t>(w);
        stats_.to_socket += static_cast<uint64_t>(w);
        if (down_begin_ == down_end_) down_begin_ = down_end_ = 0;
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      // EAGAIN: UpdateInterest asks for EPOLLOUT.
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      SocketFailed(w < 0 ? errno : EPIPE, now);
      return;
    }
    if (shutdown_sent_) return;
    if (connection_closed_ &&
        close_reason_ != mptcp::MptcpCloseReason::kNormal) {
      return;
    }
    // Out of budget: UpdateInterest waits for EPOLLOUT while the connection
    // still has bytes, which comes back at the next iteration.
    if (reads++ >= options_.reads_per_wakeup) return;
    const size_t n = connection_->Read(absl::MakeSpan(down_), now);
    if (n > 0) {
      down_begin_ = 0;
      down_end_ = n;
      NoteBuffered();
      continue;
    }
    if (connection_->AtEndOfStream() && socket_.valid()) {
      shutdown(socket_.get(), SHUT_WR);
      shutdown_sent_ = true;
    }
    return;
  }
}

void Bridge::SocketFailed(int error, Time now) {
  socket_error_ = error;
  up_begin_ = up_end_ = down_begin_ = down_end_ = 0;
  CloseSocket(/*reset=*/true);
  // Abort calls OnClosed(kAborted) before it returns.
  if (connection_ != nullptr && !connection_closed_) connection_->Abort(now);
}

void Bridge::CloseSocket(bool reset) {
  if (hangup_retry_ != runtime::EventLoop::kInvalidTimer) {
    loop_->Cancel(hangup_retry_);
    hangup_retry_ = runtime::EventLoop::kInvalidTimer;
  }
  if (!socket_.valid()) return;
  if (registered_) {
    (void)loop_->Unregister(socket_.get());
    registered_ = false;
  }
  if (reset) {
    ResetAndClose(socket_);
  } else {
    socket_.reset();
  }
}

void Bridge::MaybeCloseSocket() {
  if (socket_.valid() && socket_read_done_ && close_sent_ && shutdown_sent_ &&
      buffered() == 0) {
    CloseSocket(/*reset=*/false);
  }
}

void Bridge::UpdateInterest() {
  if (!socket_.valid() || hangup_retry_ != runtime::EventLoop::kInvalidTimer) {
    return;
  }
  const bool attached = connection_ != nullptr && !connection_closed_;
  const bool want_read =
      attached && !connecting_ && !socket_read_done_ && up_begin_ == up_end_;
  const bool more_from_mptcp = connection_ != nullptr && !shutdown_sent_ &&
                               down_begin_ == down_end_ &&
                               connection_->readable_bytes() > 0;
  const bool want_write = connecting_ || down_begin_ < down_end_ ||
                          (!connecting_ && more_from_mptcp);
  Interest interest = Interest::kNone;
  if (want_read && want_write) {
    interest = Interest::kReadWrite;
  } else if (want_read) {
    interest = Interest::kRead;
  } else if (want_write) {
    interest = Interest::kWrite;
  }
  // Nothing to wait for on the socket (the bridge waits for the
  // connection): unregister rather than keep a registration that a
  // half-closed peer would report on every iteration.
  if (interest == Interest::kNone) {
    if (registered_) {
      (void)loop_->Unregister(socket_.get());
      registered_ = false;
    }
    return;
  }
  if (!registered_) {
    const absl::Status status = loop_->Register(
        socket_.get(), interest,
        [this](runtime::Readiness readiness) { OnSocket(readiness); });
    registered_ = status.ok();
  } else if (interest != interest_) {
    (void)loop_->Modify(socket_.get(), interest);
  }
  interest_ = interest;
}

void Bridge::MaybeFinish() {
  if (finished_ || socket_.valid()) return;
  if (connection_ == nullptr ? !failed_ : !connection_closed_) return;
  finished_ = true;
  if (hooks_.on_finished) hooks_.on_finished(this);
}

void Bridge::NoteBuffered() {
  stats_.max_buffered = std::max(stats_.max_buffered, buffered());
}

}  // namespace plait::proxy
