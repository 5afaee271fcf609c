#!/usr/bin/env bash
# plait's path management against the Linux kernel's MPTCP, on real packets
# (issue 5, "Must show": ADD_ADDR both ways, a path down and up again, a
# plain TCP peer). Same lab and tools as tun_kernel_mptcp_test.sh:
# deploy/lab/lab.sh's two namespaces and two veth paths, plait's Stack
# behind a TUN device in A (tun-mptcp-endpoint, path addresses 10.1.0.11
# and 10.2.0.11), the kernel in B (kernel_mptcp_peer.py).
#
#  kernel-announces  The kernel server announces 10.2.0.2 (`ip mptcp
#      endpoint add 10.2.0.2 dev vb2 signal`); plait, a client connecting on
#      path 1 only with the fullmesh path manager accepting one address
#      (add_addr_accepted 1), opens a subflow to it. 16 MiB each way.
#      Checked: the kernel lists 10.1.0.2-10.1.0.11 and 10.2.0.2-10.1.0.11
#      and both carried >= 1 MiB each way by the kernel's MPTCP_TCPINFO and
#      by plait's own counts; plait received and accepted the ADD_ADDR and
#      its path manager opened the subflow; the kernel sent the ADD_ADDR,
#      got its echo and accepted the join (MPTcpExt); the captures are clean
#      for tshark and plait-wire (ADD_ADDR and MP_JOIN HMACs verified).
#  plait-announces  plait, the server, announces 10.2.0.11 (a signal
#      endpoint); the kernel client (limits subflow 2 add_addr_accepted 2,
#      no endpoint of its own) joins it from 10.2.0.2. Checked likewise:
#      subflows 10.1.0.2-10.1.0.11 and 10.2.0.2-10.2.0.11 each carrying
#      >= 1 MiB each way, plait's ADD_ADDR sent and echoed, the kernel's
#      AddAddr, EchoAddTx and MPJoinSynTx counters.
#  path-down  plait, the client, has the fullmesh path manager and an
#      endpoint 10.2.0.11 (subflow, dev va2), routed over path 2 (policy
#      routing in A); it watches va2's carrier (--watch_link, as plaitd
#      would through netlink). 64 MiB each way; once plait received 12 MiB,
#      `ip link set vb2 down` in B (va2 loses its carrier); plait
#      holds its sending at 48 MiB until it has two subflows again; a
#      second after it holds, vb2 goes up. Checked: equal SHA-256 both
#      ways; the link went down while both directions were transferring;
#      plait's path manager re-created the subflow from 10.2.0.11 after the
#      up event, plait resumed sending once it was established, and the
#      kernel lists it at its last look (MPJoinAckRx 2: two subflows again);
#      the bytes it carried are printed.
#  plain-tcp-server / plain-tcp-client  A kernel TCP socket without MPTCP
#      as the server (plait's MP_CAPABLE SYN gets a plain SYN/ACK) and as
#      the client (plait's listener accepts a plain SYN): plait falls back
#      and reports it, 16 MiB each way with equal SHA-256, and the capture
#      shows no MPTCP option but the one in plait's SYN.
#
# Every run also checks what tun_kernel_check.py checks for the existing
# test (no TUN drop, no stack or MPTCP error, every subflow through its FIN
# exchange, SYNs only from the expected addresses). Needs root, network
# namespaces, /dev/net/tun, kernel MPTCP, tshark, dumpcap, mergecap, ethtool
# and python3; without them it prints "SKIPPED: <reason>" and passes. The
# namespaces go on any exit.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

skip() {
  echo "SKIPPED: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root: the kernel path-management interop test needs network namespaces and a TUN device (run ./x test as root)"
for tool in ip tc tshark dumpcap mergecap ethtool python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (./x setup installs it)"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
probe=plaitpathsprobe$$
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
export LAB_A=plait-paths-a$$ LAB_B=plait-paths-b$$
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/tun_paths.XXXXXX")
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
inA() { ip netns exec "$LAB_A" "$@"; }
inB() { ip netns exec "$LAB_B" "$@"; }

bash "$lab" up --no-offload || { echo "FAIL: lab.sh up"; exit 1; }
# When the client exits its TUN device goes, and with it the route to
# 10.x.0.11: A would then send B redirects for the last ACKs.
inA sysctl -qw net.ipv4.conf.all.send_redirects=0
inB sysctl -qw net.mptcp.checksum_enabled=0

MiB=$((1 << 20))
failures=0
port=5400
# The plait endpoint's last progress line: "SENT RECEIVED".
progress() {
  grep -o 'sent=[0-9]* received=[0-9]*' "$1" 2>/dev/null | tail -1 |
    sed 's/sent=//; s/received=//'
}

# run NAME ROLE CAPTURE MIB
# ROLE: client (plait connects to the kernel) or server (the kernel
# connects to plait). CAPTURE: full, or control (SYN, FIN and RST only).
# Arrays set by the caller: endpoint_args, peer_args, check_args; cap_ns
# and cap_ifs say where to capture (B's vb1 vb2 by default); `during`
# names a function run alongside the transfer with the run's directory.
run() {
  local name=$1 role=$2 capture=$3 bytes=$(($4 << 20)) dir=$tmp/$1
  local pcaps=() caps=() filter=() i kernel_pid plait_pid during_pid="" plait_rc=0
  port=$((port + 1))
  mkdir -p "$dir"
  echo "== $name: plait is the $role, $4 MiB each way"
  # Only this run's connection: a subflow of an earlier run that the kernel
  # still retransmits on (path-down's stale one) is not this run's.
  filter=(-f "tcp port $port")
  [ "$capture" = control ] &&
    filter=(-f "tcp port $port and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0")
  for i in "${cap_ifs[@]}"; do
    ip netns exec "$cap_ns" dumpcap -q -P "${filter[@]}" -i "$i" -w "$dir/$i.pcap" 2>"$dir/dumpcap-$i.log" &
    caps+=("$!")
    pids+=("$!")
    pcaps+=("$dir/$i.pcap")
  done
  for _ in $(seq 50); do
    local ready=1
    for i in "${pcaps[@]}"; do [ -s "$i" ] || ready=0; done
    [ "$ready" = 1 ] && break
    sleep 0.1
  done
  inB cat /proc/net/netstat >"$dir/mib.before"
  if [ "$role" = client ]; then
    inB timeout 200 python3 "$peer" --port "$port" --bytes "$bytes" \
      --report "$dir/kernel.json" "${peer_args[@]}" >"$dir/peer.log" 2>&1 &
    kernel_pid=$!
    pids+=("$kernel_pid")
    for _ in $(seq 50); do grep -q listening "$dir/peer.log" && break; sleep 0.1; done
    inA timeout 200 "$endpoint" --port "$port" --bytes "$bytes" --timeout_s 150 \
      "${endpoint_args[@]}" >"$dir/plait.json" 2>"$dir/plait.log" &
    plait_pid=$!
    pids+=("$plait_pid")
  else
    inA timeout 200 "$endpoint" --listen --port "$port" --bytes "$bytes" \
      --timeout_s 150 "${endpoint_args[@]}" >"$dir/plait.json" 2>"$dir/plait.log" &
    plait_pid=$!
    pids+=("$plait_pid")
    # The endpoint routes its addresses right before it listens.
    for _ in $(seq 50); do
      [ -n "$(inA ip route show 10.1.0.11)" ] && break
      sleep 0.1
    done
    inB timeout 200 python3 "$peer" --connect 10.1.0.11 --port "$port" \
      --bytes "$bytes" --report "$dir/kernel.json" "${peer_args[@]}" >"$dir/peer.log" 2>&1 &
    kernel_pid=$!
    pids+=("$kernel_pid")
  fi
  if [ -n "${during:-}" ]; then
    "$during" "$dir" &
    during_pid=$!
    pids+=("$during_pid")
  fi
  wait "$plait_pid" || plait_rc=$?
  wait "$kernel_pid" || { echo "FAIL: $name: the kernel peer exited $?"; cat "$dir/peer.log"; }
  if [ -n "$during_pid" ]; then
    wait "$during_pid" || { echo "FAIL: $name: $during failed"; failures=$((failures + 1)); }
  fi
  inB cat /proc/net/netstat >"$dir/mib.after"
  sleep 0.3
  kill "${caps[@]}" 2>/dev/null
  wait "${caps[@]}" 2>/dev/null
  grep -v '^progress' "$dir/plait.log" | sed 's/^/  plait: /'
  if [ ! -s "$dir/plait.json" ] || [ ! -s "$dir/kernel.json" ]; then
    echo "FAIL: $name: no report (plait exited $plait_rc)"
    cat "$dir/plait.log" "$dir/peer.log"
    failures=$((failures + 1))
    return
  fi
  local extra=()
  [ "$capture" = control ] && extra+=(--control-only)
  python3 "$check" --plait "$dir/plait.json" --kernel "$dir/kernel.json" \
    --plait-wire "$wire" "${check_args[@]}" "${extra[@]}" \
    --kernel-mib "$dir/mib.before" "$dir/mib.after" --pcap "${pcaps[@]}" || {
    echo "FAIL: $name"
    failures=$((failures + 1))
  }
}

start=$(date +%s)
cap_ns=$LAB_B
cap_ifs=(vb1 vb2)
during=""

# 1. The kernel announces an address; plait opens a subflow to it.
inB ip mptcp endpoint flush
inB ip mptcp endpoint add 10.2.0.2 dev vb2 signal
endpoint_args=(--local 10.1.0.11,10.2.0.11 --remote 10.1.0.2 --path_manager fullmesh
  --max_subflows 2 --add_addr_accepted 1 --subflows 2)
peer_args=()
check_args=(--pairs 10.1.0.2-10.1.0.11 10.2.0.2-10.1.0.11 --syn-from 10.1.0.11
  --min-subflow-bytes "$MiB"
  --plait-at-least signal_stats.add_addr_received=1 pm_stats.add_addr_accepted=1
  signal_stats.subflows_opened_by_pm=1
  --kernel-mib-at-least AddAddrTx=1 EchoAdd=1 MPJoinSynRx=1 MPJoinAckRx=1)
run kernel-announces client full 16
inB ip mptcp endpoint flush

# 2. plait announces an address; the kernel joins it.
inB ip mptcp limits set subflow 2 add_addr_accepted 2
endpoint_args=(--local 10.1.0.11,10.2.0.11 --path_manager fullmesh
  --pm_endpoint 10.2.0.11+signal --subflows 2)
peer_args=(--wait-subflows 1)
check_args=(--pairs 10.1.0.2-10.1.0.11 10.2.0.2-10.2.0.11 --syn-from 10.1.0.2 10.2.0.2
  --min-subflow-bytes "$MiB"
  --plait-at-least signal_stats.add_addr_sent=1 signal_stats.add_addr_echoes=1
  pm_stats.addresses_announced=1 pm_stats.peer_joins_accepted=1
  --kernel-mib-at-least AddAddr=1 EchoAddTx=1 MPJoinSynTx=1 MPJoinSynAckRx=1)
run plait-announces server full 16

# 3. A path's link goes down mid-transfer and comes back.
# plait's subflow endpoint 10.2.0.11 goes to the kernel's initial address
# (as Linux's subflow endpoints do) over path 2: A routes by source.
inA ip rule add from 10.2.0.11 lookup 102 pref 100
inA ip route add 10.1.0.0/24 dev va2 table 102
inA ip route add 10.2.0.0/24 dev va2 table 102
# B answers 10.2.0.11 from 10.1.0.2 over vb2: A must take it on va2.
inA sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.va2.rp_filter=0
big=64
hold=48
flap() {
  local dir=$1 p sent received
  for _ in $(seq 600); do
    read -r sent received <<<"$(progress "$dir/plait.log")"
    # The kernel's direction runs ahead of plait's (see the report): go
    # down once it passed 12 MiB, with plait's still short of the hold.
    [ "${received:-0}" -ge $((12 * MiB)) ] && break
    sleep 0.02
  done
  echo "  vb2 down in B at plait sent ${sent:-?} received ${received:-?}"
  inB ip link set vb2 down || return 1
  for _ in $(seq 1500); do
    grep -q '^paused' "$dir/plait.log" && break
    sleep 0.02
  done
  grep -q '^paused' "$dir/plait.log" || echo "  plait did not hold its sending"
  sleep 1
  echo "  vb2 up in B"
  inB ip link set vb2 up
}
cap_ns=$LAB_A
cap_ifs=(va1 va2) # vb2's capture would stop when it goes down
during=flap
endpoint_args=(--local 10.1.0.11,10.2.0.11 --remote 10.1.0.2 --path_manager fullmesh
  --pm_endpoint 10.2.0.11+subflow+dev=va2 --max_subflows 2 --subflows 2
  --watch_link va2 --pause_at_bytes $((hold * MiB)) --pause_until_subflows 2
  --pause_max_s 30 --progress_ms 20)
peer_args=()
check_args=(--pairs 10.1.0.2-10.1.0.11 10.1.0.2-10.2.0.11 --syn-from 10.1.0.11 10.2.0.11
  --extra-subflows 1-2 --path-down va2=10.2.0.11 --allow-icmp
  --kernel-mib-at-least MPJoinSynRx=2 MPJoinAckRx=2)
run path-down client control "$big"
during=""
cap_ns=$LAB_B
cap_ifs=(vb1 vb2)
inA ip rule del from 10.2.0.11 lookup 102 pref 100
inA ip route flush table 102

# 4. Plain TCP peers: plait falls back.
endpoint_args=(--local 10.1.0.11 --remote 10.1.0.2 --expect_fallback --subflows 1)
peer_args=(--tcp)
check_args=(--fallback client --syn-from 10.1.0.11)
run plain-tcp-server client full 16
endpoint_args=(--local 10.1.0.11 --expect_fallback --subflows 1)
check_args=(--fallback server --syn-from 10.1.0.2)
run plain-tcp-client server full 16
echo "took $(($(date +%s) - start)) s"

if [ "$failures" -ne 0 ]; then
  echo "$failures run(s) failed"
  exit 1
fi
echo "plait <-> kernel path management interop passed"
