#include "dataplane/tcp/tcp_state.h"

#include "dataplane/tcp/tcp_owner.h"

namespace plait::tcp {

const char* TcpStateName(TcpState state) {
  switch (state) {
    case TcpState::kClosed:
      return "CLOSED";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kSynSent:
      return "SYN-SENT";
    case TcpState::kSynReceived:
      return "SYN-RECEIVED";
    case TcpState::kEstablished:
      return "ESTABLISHED";
    case TcpState::kFinWait1:
      return "FIN-WAIT-1";
    case TcpState::kFinWait2:
      return "FIN-WAIT-2";
    case TcpState::kCloseWait:
      return "CLOSE-WAIT";
    case TcpState::kClosing:
      return "CLOSING";
    case TcpState::kLastAck:
      return "LAST-ACK";
    case TcpState::kTimeWait:
      return "TIME-WAIT";
  }
  return "?";
}

bool IsSynchronized(TcpState state) {
  return state != TcpState::kClosed && state != TcpState::kListen &&
         state != TcpState::kSynSent && state != TcpState::kSynReceived;
}

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kNormal:
      return "normal";
    case CloseReason::kReset:
      return "reset";
    case CloseReason::kRefused:
      return "refused";
    case CloseReason::kTimeout:
      return "timeout";
    case CloseReason::kKeepaliveTimeout:
      return "keepalive-timeout";
    case CloseReason::kAborted:
      return "aborted";
  }
  return "?";
}

}  // namespace plait::tcp
