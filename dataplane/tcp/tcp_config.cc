#include "dataplane/tcp/tcp_config.h"

#include "absl/strings/str_cat.h"

namespace plait::tcp {

absl::Status TcpConfig::Validate() const {
  auto bad = [](absl::string_view field, auto value, absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp config: ", field, " = ", value, ": ", why));
  };
  if (mss < 88 || mss > 65495) {
    return bad("mss", mss, "must be between 88 and 65495");
  }
  if (window_scale > 14) {
    return bad("window_scale", window_scale, "must be at most 14 (RFC 7323)");
  }
  if (send_buffer_bytes < mss) {
    return bad("send_buffer_bytes", send_buffer_bytes,
               "must hold at least one MSS");
  }
  if (receive_buffer_bytes < mss) {
    return bad("receive_buffer_bytes", receive_buffer_bytes,
               "must hold at least one MSS");
  }
  if (receive_buffer_bytes > (size_t{65535} << window_scale)) {
    return bad("receive_buffer_bytes", receive_buffer_bytes,
               "cannot be advertised with this window_scale");
  }
  if (min_rto <= Duration::zero() || max_rto < min_rto ||
      initial_rto < min_rto || initial_rto > max_rto) {
    return bad("initial_rto", ToMicroseconds(initial_rto),
               "needs 0 < min_rto <= initial_rto <= max_rto (microseconds)");
  }
  if (max_retransmissions < 1 || max_syn_retransmissions < 1) {
    return bad("max_retransmissions", max_retransmissions,
               "both retry limits must be at least 1");
  }
  if (delayed_ack_timeout < Duration::zero() ||
      delayed_ack_timeout > Milliseconds(500)) {
    return bad("delayed_ack_timeout", ToMicroseconds(delayed_ack_timeout),
               "must be between 0 and 500 ms (RFC 1122)");
  }
  if (keepalive &&
      (keepalive_probes < 1 || keepalive_interval <= Duration::zero() ||
       keepalive_idle <= Duration::zero())) {
    return bad("keepalive_probes", keepalive_probes,
               "keepalive needs positive idle, interval and probes");
  }
  return absl::OkStatus();
}

}  // namespace plait::tcp
