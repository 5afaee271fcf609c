#!/usr/bin/env bash
# plait's MPTCP against the Linux kernel's, on real packets.
#
# deploy/lab/lab.sh builds two namespaces joined by two veth paths; in A,
# tun-mptcp-endpoint runs a plait Stack behind a TUN device (path addresses
# 10.1.0.11 and 10.2.0.11, routed to the device by the endpoint itself); in
# B, kernel_mptcp_peer.py uses the Linux kernel's MPTCP.
#
# Client runs: plait connects to the kernel's server and opens its second
# subflow (MP_JOIN) from 10.2.0.11 to 10.2.0.2. Server runs: the kernel
# connects to plait's 10.1.0.11 and its path manager opens the second
# subflow from its endpoint 10.2.0.2 (`ip mptcp endpoint add ... dev vb2
# subflow`). Each side waits for both subflows, then both send each other
# the same amount of data at once and close. tun_kernel_check.py checks:
# equal SHA-256 each way; the kernel's own list of the connection's subflows
# (getsockopt MPTCP_SUBFLOW_ADDRS: one over each path) and the SYNs in the
# captures; DSS checksums on in both ends exactly when asked; no TUN drop
# and no stack or MPTCP error in plait, and every plait subflow through its
# FIN exchange; and for the fully captured runs, both veth captures clean
# for tshark (no malformed packet, no MPTCP or checksum expert info) and for
# plait-wire (the MP_JOIN token matches the MP_CAPABLE keys, every HMAC and
# DSS checksum verifies). The kernel's MPTcpExt counters for each run are
# printed, with a warning when it discarded data plait sent.
#
# Each role: 16 MiB each way fully captured, without and with DSS checksums
# (net.mptcp.checksum_enabled=1 in B and MptcpConfig::checksums); then
# PLAIT_TUN_BIG_MIB (default 256) MiB each way, without and with checksums,
# capturing only SYN, FIN and RST segments.
#
# Needs root, network namespaces, /dev/net/tun, kernel MPTCP, tshark,
# dumpcap, mergecap, ethtool and python3; without them it prints "SKIPPED: <reason>"
# and passes. The namespaces go on any exit.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

skip() {
  echo "SKIPPED: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root: the kernel interop test needs network namespaces and a TUN device (run ./x test as root)"
for tool in ip tc tshark dumpcap mergecap ethtool python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (./x setup installs it)"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
probe=plaittunprobe$$
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
if ! ip netns exec "$probe" sysctl -n net.mptcp.enabled >/dev/null 2>&1; then
  ip netns del "$probe" 2>/dev/null
  skip "the kernel has no MPTCP (net.mptcp.enabled missing)"
fi
ip netns del "$probe"

lab=deploy/lab/lab.sh
endpoint=tests/interop/tun-mptcp-endpoint
peer=tests/interop/kernel_mptcp_peer.py
check=tests/interop/tun_kernel_check.py
wire=dataplane/wire/plait-wire
export LAB_A=plait-tun-a$$ LAB_B=plait-tun-b$$
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/tun_kernel.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  bash "$lab" down
  # PLAIT_KEEP_CAPTURES=1 keeps the captures and reports for a look.
  if [ "${PLAIT_KEEP_CAPTURES:-0}" = 1 ]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bash "$lab" up --no-offload || { echo "FAIL: lab.sh up"; exit 1; }
# When the client exits its TUN device goes, and with it the route to
# 10.x.0.11: A would then send B redirects for the last ACKs.
ip netns exec "$LAB_A" sysctl -qw net.ipv4.conf.all.send_redirects=0

failures=0
# run NAME ROLE MIB CHECKSUMS(0|1) CAPTURE(full|control)
# ROLE: client (plait connects to the kernel) or server (the kernel connects
# to plait). CAPTURE control: only SYN, FIN and RST segments (a full capture
# of 256 MiB each way would be gigabytes).
run() {
  local name=$1 role=$2 mib=$3 csum=$4 capture=$5 bytes=$(($3 << 20)) dir=$tmp/$1
  local port=$((5200 + ${#pids[@]})) pcaps=() extra=() caps=() i filter=()
  mkdir -p "$dir"
  echo "== $name: plait is the $role, $mib MiB each way, DSS checksums $([ "$csum" = 1 ] && echo on || echo off)"
  ip netns exec "$LAB_B" sysctl -qw "net.mptcp.checksum_enabled=$csum"
  [ "$capture" = control ] && filter=(-f "tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0")
  for i in 1 2; do
    ip netns exec "$LAB_B" dumpcap -q -P "${filter[@]}" -i "vb$i" -w "$dir/vb$i.pcap" 2>"$dir/dumpcap$i.log" &
    caps+=("$!")
    pids+=("$!")
    pcaps+=("$dir/vb$i.pcap")
  done
  # dumpcap writes the file header once it captures.
  for _ in $(seq 50); do
    [ -s "$dir/vb1.pcap" ] && [ -s "$dir/vb2.pcap" ] && break
    sleep 0.1
  done
  ip netns exec "$LAB_B" cat /proc/net/netstat >"$dir/mib.before"
  [ "$csum" = 1 ] && extra+=(--checksums)
  local kernel_pid plait_rc=0
  if [ "$role" = client ]; then
    ip netns exec "$LAB_B" timeout 300 python3 "$peer" --port "$port" --bytes "$bytes" \
      --report "$dir/kernel.json" >"$dir/peer.log" 2>&1 &
    kernel_pid=$!
    pids+=("$kernel_pid")
    for _ in $(seq 50); do grep -q listening "$dir/peer.log" && break; sleep 0.1; done
    ip netns exec "$LAB_A" timeout 300 "$endpoint" --port "$port" --bytes "$bytes" \
      --timeout_s 240 "${extra[@]}" >"$dir/plait.json" 2>"$dir/plait.log" || plait_rc=$?
  else
    ip netns exec "$LAB_A" timeout 300 "$endpoint" --listen --port "$port" --bytes "$bytes" \
      --subflows 2 --timeout_s 240 "${extra[@]}" >"$dir/plait.json" 2>"$dir/plait.log" &
    local plait_pid=$!
    pids+=("$plait_pid")
    # The endpoint routes its addresses right before it listens; a SYN
    # that comes in between waits in the TUN device's queue.
    for _ in $(seq 50); do
      [ -n "$(ip netns exec "$LAB_A" ip route show 10.1.0.11)" ] && break
      sleep 0.1
    done
    ip netns exec "$LAB_B" timeout 300 python3 "$peer" --connect 10.1.0.11 --port "$port" \
      --bytes "$bytes" --wait-subflows 1 --report "$dir/kernel.json" >"$dir/peer.log" 2>&1 &
    kernel_pid=$!
    pids+=("$kernel_pid")
    wait "$plait_pid" || plait_rc=$?
  fi
  wait "$kernel_pid" || { echo "FAIL: $name: the kernel peer exited $?"; cat "$dir/peer.log"; }
  ip netns exec "$LAB_B" cat /proc/net/netstat >"$dir/mib.after"
  sleep 0.3
  kill "${caps[@]}" 2>/dev/null
  wait "${caps[@]}" 2>/dev/null
  if [ ! -s "$dir/plait.json" ] || [ ! -s "$dir/kernel.json" ]; then
    echo "FAIL: $name: no report (plait exited $plait_rc)"
    cat "$dir/plait.log" "$dir/peer.log"
    failures=$((failures + 1))
    return
  fi
  local expect
  if [ "$role" = client ]; then
    expect=(--pairs 10.1.0.2-10.1.0.11 10.2.0.2-10.2.0.11 --syn-from 10.1.0.11 10.2.0.11)
  else
    expect=(--pairs 10.1.0.2-10.1.0.11 10.2.0.2-10.1.0.11 --syn-from 10.1.0.2 10.2.0.2)
  fi
  [ "$capture" = control ] && extra+=(--control-only)
  python3 "$check" --plait "$dir/plait.json" --kernel "$dir/kernel.json" \
    "${expect[@]}" --plait-wire "$wire" "${extra[@]}" \
    --kernel-mib "$dir/mib.before" "$dir/mib.after" --pcap "${pcaps[@]}" || {
    echo "FAIL: $name"
    failures=$((failures + 1))
  }
}

start=$(date +%s)
big=${PLAIT_TUN_BIG_MIB:-256}
run client-plain client 16 0 full
run client-checksum client 16 1 full
run "client-plain-${big}MiB" client "$big" 0 control
run "client-checksum-${big}MiB" client "$big" 1 control
# The kernel as the client: its path manager opens a subflow from its
# second address, over the second path (the endpoint is bound to vb2), to
# plait's address of the first.
ip netns exec "$LAB_B" ip mptcp endpoint add 10.2.0.2 dev vb2 subflow
run server-plain server 16 0 full
run server-checksum server 16 1 full
run "server-plain-${big}MiB" server "$big" 0 control
run "server-checksum-${big}MiB" server "$big" 1 control
echo "took $(($(date +%s) - start)) s"

if [ "$failures" -ne 0 ]; then
  echo "$failures run(s) failed"
  exit 1
fi
echo "plait <-> kernel MPTCP interop passed"
