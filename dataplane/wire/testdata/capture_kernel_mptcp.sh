#!/usr/bin/env bash
# Captures a real Linux kernel MPTCP v1 exchange into a pcap, for plait-wire's
# demo, the decoder tests and the fuzzer's seed corpus. Needs root and a kernel
# with MPTCP, python3, tshark and ethtool. Two namespaces joined by two veth paths; the server announces its
# second address (ADD_ADDR) and the client joins it (MP_JOIN) and opens a
# subflow from its own second address. Run:  sudo ./capture_kernel_mptcp.sh OUT.pcap [checksum]
# tests/interop/kernel_capture_test.sh runs it too; it names the namespaces
# ${PLAIT_NETNS_PREFIX}A and ...B (default plaitcap<pid>) so that it can
# remove them whatever happens.
set -euo pipefail
out=$(realpath -m "${1:?usage: $0 OUT.pcap [checksum]}")
checksum=0
[ "${2:-}" = checksum ] && checksum=1
prefix=${PLAIT_NETNS_PREFIX:-plaitcap$$}
a=${prefix}A
b=${prefix}B
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
ip netns add "$a"
ip netns add "$b"
for i in 1 2; do
  ip link add "va$i" netns "$a" type veth peer name "vb$i" netns "$b"
  ip -n "$a" addr add "10.$i.0.1/24" dev "va$i"
  ip -n "$b" addr add "10.$i.0.2/24" dev "vb$i"
  ip -n "$a" link set "va$i" up
  ip -n "$b" link set "vb$i" up
done
ip -n "$a" link set lo up
ip -n "$b" link set lo up
for ns in "$a" "$b"; do
  ip netns exec "$ns" sysctl -q net.mptcp.enabled=1 "net.mptcp.checksum_enabled=$checksum"
  ip -n "$ns" mptcp limits set subflow 2 add_addr_accepted 2
done
ip -n "$b" mptcp endpoint add 10.2.0.2 dev vb2 signal
ip -n "$a" mptcp endpoint add 10.2.0.1 dev va2 subflow
# No IPv6 chatter in the capture, and no checksum or segmentation offload:
# the capture then holds what a real wire carries (valid TCP checksums,
# segments no larger than the MTU). Needs ethtool.
for i in 1 2; do
  ip netns exec "$a" ethtool -K "va$i" tx off tso off gso off >/dev/null
  ip netns exec "$b" ethtool -K "vb$i" tx off tso off gso off >/dev/null
  ip netns exec "$a" sysctl -q "net.ipv6.conf.va$i.disable_ipv6=1"
  ip netns exec "$b" sysctl -q "net.ipv6.conf.vb$i.disable_ipv6=1"
done

ip netns exec "$b" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5201)); s.listen(1)
c, _ = s.accept()
n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.sendall(b"ok %d\n" % n)
c.close()
' &
server=$!
ip netns exec "$a" tshark -q -i va1 -i va2 -w "$out.pcapng" -f "tcp port 5201" 2>"$out.tshark.log" &
capture=$!
# Start the exchange only once tshark captures (it says so on stderr).
for _ in $(seq 100); do
  grep -q "Capturing on" "$out.tshark.log" 2>/dev/null && break
  sleep 0.1
done
sleep 1
ip netns exec "$a" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
s.connect(("10.1.0.2", 5201))
time.sleep(0.5)  # let ADD_ADDR and the joins happen before data
for i in range(8):
    s.sendall(bytes([65 + i]) * 3000)
    time.sleep(0.05)
s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode().strip())
s.close()
'
wait "$server"
sleep 1
kill "$capture"
wait "$capture" 2>/dev/null || true
# Two interfaces make tshark write pcapng; plait-wire reads classic pcap.
editcap -F pcap "$out.pcapng" "$out"
rm -f "$out.pcapng" "$out.tshark.log"
echo "wrote $out"
