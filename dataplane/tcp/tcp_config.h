// Settings of one TCP connection. Defaults follow Linux where it has a
// default, and the RFCs where it does not; each is said where it comes from.
#ifndef PLAIT_DATAPLANE_TCP_TCP_CONFIG_H_
#define PLAIT_DATAPLANE_TCP_TCP_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "dataplane/base/time.h"

namespace plait::tcp {

struct TcpConfig {
  // The MSS we advertise and the most payload plus options we put in one
  // segment: 1460 fits a 1500-byte Ethernet MTU with IPv4.
  uint16_t mss = 1460;
  // The shift we advertise (RFC 7323); 7 lets a 1 MiB buffer be advertised
  // whole. Only used when the peer sends window scale too.
  uint8_t window_scale = 7;
  bool timestamps = true;  // RFC 7323
  bool sack = true;        // RFC 2018
  size_t send_buffer_bytes = 1 << 20;
  size_t receive_buffer_bytes = 1 << 20;

  // Delayed ACKs (RFC 1122, RFC 5681 section 4.2): at least every second
  // full-sized segment, and within this time (Linux's minimum is 40 ms).
  Duration delayed_ack_timeout = Milliseconds(40);

  // RFC 6298 with Linux's 200 ms floor and 120 s ceiling.
  Duration initial_rto = Seconds(1);
  Duration min_rto = Milliseconds(200);
  Duration max_rto = Seconds(120);
  // Give up after this many retransmissions of the same data (Linux's
  // tcp_retries2 = 15) or of the SYN (tcp_syn_retries = 6).
  int max_retransmissions = 15;
  int max_syn_retransmissions = 6;

  // TIME_WAIT lasts 2 MSL (RFC 9293); Linux uses 60 s.
  Duration time_wait = Seconds(60);

  // Keepalive (RFC 1122 section 4.2.3.6), off by default as in Linux.
  bool keepalive = false;
  Duration keepalive_idle = Seconds(7200);
  Duration keepalive_interval = Seconds(75);
  int keepalive_probes = 9;

  std::string congestion_control = "cubic";
  // Pace at the rate the congestion controller asks for.
  bool pacing = true;

  // Names the first field that is out of range.
  absl::Status Validate() const;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_TCP_CONFIG_H_
