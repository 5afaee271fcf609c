// The size of the TCP option space, in its own header so that the TCP header,
// TCP options and MPTCP option code share one definition without depending on
// each other.
#ifndef PLAIT_DATAPLANE_WIRE_TCP_OPTION_SPACE_H_
#define PLAIT_DATAPLANE_WIRE_TCP_OPTION_SPACE_H_

#include <cstddef>

namespace plait::wire {

// The data offset is 4 bits of 32-bit words (at most 60 bytes), of which the
// fixed header takes 20: every TCP segment has at most 40 bytes of options.
inline constexpr size_t kTcpOptionSpace = 40;

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_TCP_OPTION_SPACE_H_
