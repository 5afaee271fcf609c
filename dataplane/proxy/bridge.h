// One proxied connection: a kernel TCP socket (non-blocking, registered on
// the EventLoop) spliced to an MptcpConnection, bytes both ways.
//
// Memory stays bounded: each direction holds at most one chunk
// (Options::chunk_bytes) in the bridge. Socket -> MPTCP: a chunk is read
// only once the previous one has been taken whole by Write(); a short Write
// stops reading the socket until OnWritable. MPTCP -> socket: a chunk is
// Read() only once the previous one has been sent whole; a short send stops
// reading the connection (its receive buffer fills, its window closes) until
// the socket is writable again.
//
// Closing follows the stream: socket EOF -> Close() (DATA_FIN after the
// bytes); MPTCP end of stream -> shutdown(SHUT_WR) after the bytes. Resets
// cross too: a socket error (RST) -> Abort() (MP_FASTCLOSE); an MPTCP
// fastclose, abort or loss of every subflow -> close with SO_LINGER 0 (RST).
//
// The bridge is finished once its socket is closed and its connection has
// reported OnClosed; its owner then destroys it (not from inside a callback:
// see Hooks::on_finished).
#ifndef PLAIT_DATAPLANE_PROXY_BRIDGE_H_
#define PLAIT_DATAPLANE_PROXY_BRIDGE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/runtime/scoped_fd.h"

namespace plait::proxy {

class Bridge : public mptcp::MptcpOwner {
 public:
  struct Options {
    // Bytes held in the bridge per direction at most.
    size_t chunk_bytes = 64 * 1024;
    // Socket reads (or MPTCP reads) per wake-up, so that one busy connection
    // does not starve the others; the rest waits for the next iteration.
    int reads_per_wakeup = 16;
  };
  struct Hooks {
    // Called after the bridge worked on the connection from a socket event:
    // the packet I/O must flush what the connection queued and the stack's
    // timer must follow its new deadline.
    std::function<void()> after_work;
    // The bridge is finished. Called once, possibly from inside a callback
    // of the connection or the loop: destroy the bridge later (Post), not
    // from here.
    std::function<void(Bridge*)> on_finished;
  };
  struct Stats {
    uint64_t to_mptcp = 0;    // bytes read from the socket and written
    uint64_t to_socket = 0;   // bytes read from MPTCP and sent
    size_t max_buffered = 0;  // most bytes the bridge held at once
  };

  // `socket` is connected (outbound: accepted) or, when `connecting`, has a
  // non-blocking connect() in progress (inbound).
  Bridge(runtime::EventLoop* loop, runtime::ScopedFd socket, bool connecting,
         Options options, Hooks hooks);
  ~Bridge() override;
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // The connection this bridge owns the application side of. Until then the
  // socket is not read.
  void Attach(mptcp::MptcpConnection* connection);
  // The connection could not be created: resets the socket and finishes.
  void Fail();
  // Graceful drain: stop reading the socket, send what was read, then
  // Close() the connection; the other direction goes on until its end.
  void BeginDrain();
  // The application's close (its socket's EOF) ends the connection with
  // CloseFast instead of Close. A drain still closes gracefully.
  void set_fast_close_on_close(bool fast) { fast_close_on_close_ = fast; }

  const Stats& stats() const { return stats_; }
  size_t buffered() const {
    return (up_end_ - up_begin_) + (down_end_ - down_begin_);
  }
  // Null until Attach. Stays valid while the stack lives.
  const mptcp::MptcpConnection* connection() const { return connection_; }
  // For the API's per-connection changes (scheduler, subflows, close).
  mptcp::MptcpConnection* mutable_connection() { return connection_; }
  bool connection_closed() const { return connection_closed_; }
  mptcp::MptcpCloseReason close_reason() const { return close_reason_; }
  // The socket side ended with an error (its errno), 0 otherwise.
  int socket_error() const { return socket_error_; }
  bool finished() const { return finished_; }

  // mptcp::MptcpOwner
  void OnEstablished(Time now) override;
  void OnReadable(Time now) override;
  void OnWritable(Time now) override;
  void OnClosed(Time now, mptcp::MptcpCloseReason reason) override;

 private:
  void OnSocket(runtime::Readiness readiness);
  // Moves bytes both ways as far as they go, then updates the socket's
  // registration and closes what has ended.
  void Work(Time now);
  // Socket -> MPTCP, then MPTCP -> socket.
  void PumpUp(Time now);
  void PumpDown(Time now);
  // The socket failed (read/send error, RST): abort the connection.
  void SocketFailed(int error, Time now);
  void CloseSocket(bool reset);
  void MaybeCloseSocket();
  void UpdateInterest();
  void MaybeFinish();
  void NoteBuffered();

  runtime::EventLoop* const loop_;  // Not owned.
  runtime::ScopedFd socket_;
  bool connecting_;
  const Options options_;
  Hooks hooks_;
  mptcp::MptcpConnection* connection_ = nullptr;  // Not owned (the stack's).

  // Socket -> MPTCP: up_[up_begin_, up_end_) is read but not yet written.
  std::vector<uint8_t> up_;
  size_t up_begin_ = 0;
  size_t up_end_ = 0;
  // MPTCP -> socket: down_[down_begin_, down_end_) is read but not sent.
  std::vector<uint8_t> down_;
  size_t down_begin_ = 0;
  size_t down_end_ = 0;

  bool socket_read_done_ = false;  // EOF read, or draining
  bool socket_eof_ = false;        // the peer's FIN was read
  bool fast_close_on_close_ = false;
  bool close_sent_ = false;        // connection_->Close() called
  bool shutdown_sent_ = false;     // shutdown(SHUT_WR) after MPTCP's end
  bool working_ = false;           // inside Work()
  bool again_ = false;             // a nested Work() was asked for
  bool registered_ = false;
  runtime::Interest interest_ = runtime::Interest::kNone;
  runtime::EventLoop::TimerId hangup_retry_ = runtime::EventLoop::kInvalidTimer;
  bool connection_closed_ = false;
  mptcp::MptcpCloseReason close_reason_ = mptcp::MptcpCloseReason::kNormal;
  int socket_error_ = 0;
  bool failed_ = false;  // Fail(): no connection will come
  bool finished_ = false;
  Stats stats_;
};

}  // namespace plait::proxy

#endif  // PLAIT_DATAPLANE_PROXY_BRIDGE_H_
