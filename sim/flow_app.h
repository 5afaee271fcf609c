// The applications at the ends of a simulated flow. The sender writes a
// deterministic byte stream (from the run's seed) and hashes what it wrote;
// the receiver hashes what it read. Equal byte counts and equal SHA-256
// digests prove that every byte arrived exactly once and in order, without
// trusting the transport's own counters.
#ifndef PLAIT_SIM_FLOW_APP_H_
#define PLAIT_SIM_FLOW_APP_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/tcp/tcp_connection.h"

namespace plait::sim {

// A running SHA-256 (OpenSSL EVP) over a byte stream.
class StreamHash {
 public:
  StreamHash();
  ~StreamHash();
  StreamHash(const StreamHash&) = delete;
  StreamHash& operator=(const StreamHash&) = delete;
  void Add(absl::Span<const uint8_t> bytes);
  std::array<uint8_t, 32> Digest() const;  // of everything added so far

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Deterministic pseudo-random bytes (SplitMix64), cheap enough for
// gigabytes of simulated transfer.
class PatternStream {
 public:
  explicit PatternStream(uint64_t seed) : state_(seed) {}
  void Fill(absl::Span<uint8_t> out);

 private:
  uint64_t state_;
  uint64_t word_ = 0;
  int left_ = 0;  // bytes of word_ not yet used
};

// The applications run over a TCP connection or an MPTCP connection (set
// one of them); the MPTCP owner's events mirror TCP's.
class SenderApp : public tcp::TcpOwner, public mptcp::MptcpOwner {
 public:
  // Sends `bytes`, or (with bytes == 0) keeps sending until `stop`, then
  // closes; with `abort_at`, aborts at that time instead (the caller calls
  // Abort via the connection).
  SenderApp(uint64_t seed, uint64_t bytes, Time stop);

  void set_connection(tcp::TcpConnection* connection) {
    connection_ = connection;
  }
  void set_mptcp(mptcp::MptcpConnection* connection) { mptcp_ = connection; }
  // Called once the connection is established (before the first Pump).
  void set_on_established(absl::AnyInvocable<void(Time)> fn) {
    on_established_ = std::move(fn);
  }
  // Writes as much as the connection takes; closes when done.
  void Pump(Time now);

  void OnEstablished(Time now) override {
    if (on_established_) on_established_(now);
    Pump(now);
  }
  void OnWritable(Time now) override { Pump(now); }
  void OnReadable(Time now) override;  // the receiver's FIN
  void OnClosed(Time now, tcp::CloseReason reason) override {
    closed_at = now;
    close_reason = reason;
  }
  void OnClosed(Time now, mptcp::MptcpCloseReason reason) override {
    closed_at = now;
    mptcp_close_reason = reason;
  }
  void OnRttSample(Duration rtt, Time now) override {
    rtt_samples.push_back(rtt);
  }

  uint64_t written() const { return written_; }
  std::array<uint8_t, 32> digest() const { return hash_.Digest(); }
  bool done_writing() const { return done_; }

  std::optional<Time> closed_at;
  tcp::CloseReason close_reason = tcp::CloseReason::kNormal;
  mptcp::MptcpCloseReason mptcp_close_reason = mptcp::MptcpCloseReason::kNormal;
  std::vector<Duration> rtt_samples;

 private:
  tcp::TcpConnection* connection_ = nullptr;
  mptcp::MptcpConnection* mptcp_ = nullptr;
  absl::AnyInvocable<void(Time)> on_established_;
  PatternStream pattern_;
  StreamHash hash_;
  uint64_t target_;
  Time stop_;
  uint64_t written_ = 0;
  bool done_ = false;
  std::vector<uint8_t> chunk_;
  size_t chunk_used_ = 0;  // bytes of chunk_ already accepted
};

class ReceiverApp : public tcp::TcpOwner, public mptcp::MptcpOwner {
 public:
  // `seed` is the sender's: each byte read is compared with the stream the
  // sender generates, so a connection that ends early (a reset) still
  // proves that what did arrive was in order and unaltered.
  explicit ReceiverApp(uint64_t seed) : expected_(seed) {}

  void set_connection(tcp::TcpConnection* connection) {
    connection_ = connection;
  }
  void set_mptcp(mptcp::MptcpConnection* connection) { mptcp_ = connection; }
  void OnReadable(Time now) override;
  void OnClosed(Time now, tcp::CloseReason reason) override {
    closed_at = now;
    close_reason = reason;
  }
  void OnClosed(Time now, mptcp::MptcpCloseReason reason) override {
    closed_at = now;
    mptcp_close_reason = reason;
  }

  uint64_t received() const { return received_; }
  std::array<uint8_t, 32> digest() const { return hash_.Digest(); }
  // Every byte so far equals the sender's stream at its position.
  bool in_order_so_far() const { return !mismatch_; }

  std::optional<Time> first_byte_at;
  std::optional<Time> last_byte_at;
  // The longest time between two reads that delivered bytes (a stall, e.g.
  // while a failed path's data is resent), and when it ended.
  Duration longest_stall{0};
  std::optional<Time> longest_stall_end;
  std::optional<Time> end_of_stream_at;
  std::optional<Time> closed_at;
  tcp::CloseReason close_reason = tcp::CloseReason::kNormal;
  mptcp::MptcpCloseReason mptcp_close_reason = mptcp::MptcpCloseReason::kNormal;

 private:
  tcp::TcpConnection* connection_ = nullptr;
  mptcp::MptcpConnection* mptcp_ = nullptr;
  StreamHash hash_;
  PatternStream expected_;
  bool mismatch_ = false;
  uint64_t received_ = 0;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(256 * 1024);
  std::vector<uint8_t> expected_buffer_ = std::vector<uint8_t>(256 * 1024);
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_FLOW_APP_H_
