#!/usr/bin/env bash
# Plait's live demo: two paths, one MPTCP connection through plaitd's proxy,
# per-subflow throughput every second.
#
# As root (with /dev/net/tun, network namespaces and kernel MPTCP): the
# deploy/lab namespaces and two plaitd --mode=tun, real MPTCP on the wire
# between them. The client plaitd in A (TUN device plaitdemo0, paths
# 10.1.0.11 and 10.2.0.11) forwards A's 127.0.0.1:5201 to the server plaitd
# in B (TUN device plaitdemo1, paths 10.1.0.12 and 10.2.0.12), which serves
# a TCP sink at B's 127.0.0.1:5202. Each plaitd routes its path addresses
# through its own TUN device; B gets what lab.sh gives A (ip_forward,
# proxy_arp on its veths), and policy routing on both sides sends what
# leaves from a 10.2.0.x path address over the second veth. plaitd's path
# endpoints are subflow ones, not signal: the server announces nothing and,
# as the passive side, opens no subflow (10.2.0.12 is routed, but unused);
# the client's fullmesh path manager opens the second subflow 10.2.0.11 ->
# 10.1.0.12, which the policy rule in A puts on va2 <-> vb2 (B's reply to
# 10.2.0.11 goes out vb2 by its connected route). Otherwise: two plaitd in
# UDP mode on loopback, the client with paths 127.0.0.1 and 127.0.0.2
# forwarding to the server (127.0.0.3), which serves a local TCP sink.
# Either way an application sends and receives at once through the
# forwarder, and the client plaitd's statistics lines
# (--stats-interval 1) become a table; in the lab, each veth path's bytes
# follow.
#
# Environment:
#   DEMO_SECONDS=N  push traffic N seconds, then stop everything and exit
#                   (default: 10 s of traffic, then both stay up for your
#                   own traffic until Ctrl-C)
#   DEMO_MODE       auto (default), lab or udp
#   PLAITD          the plaitd binary (default: bazel build //dataplane:plaitd
#                   and bazel-bin/dataplane/plaitd)
#   DEMO_WORK       where the logs go (default: a new plait-demo.XXXXXX in $TMPDIR;
#                   kept after exit)
#   LAB_A, LAB_B    the lab's namespaces (default plait-demo-a, plait-demo-b)
# Everything it starts stops on exit, Ctrl-C or SIGTERM, and the lab goes.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
lab=$here/../lab/lab.sh
traffic=$here/traffic.py
table=$here/table.py
export LAB_A=${LAB_A:-plait-demo-a} LAB_B=${LAB_B:-plait-demo-b}
seconds=${DEMO_SECONDS:-}
mode=${DEMO_MODE:-auto}

say() { echo "demo: $*"; }
die() {
  echo "demo: $*" >&2
  exit 1
}
if [ -n "$seconds" ] && ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  die "DEMO_SECONDS wants a whole number of seconds, not '$seconds'"
fi
command -v python3 >/dev/null || die "python3 is missing (./x setup installs it)"

lab_possible() {
  [ "$(id -u)" -eq 0 ] || { why="not root"; return 1; }
  [ -c /dev/net/tun ] || { why="no /dev/net/tun"; return 1; }
  command -v ip >/dev/null || { why="no ip command"; return 1; }
  local probe=plaitdemoprobe$$
  ip netns add "$probe" 2>/dev/null || { why="cannot create a network namespace"; return 1; }
  if ! ip netns exec "$probe" sysctl -n net.mptcp.enabled >/dev/null 2>&1; then
    ip netns del "$probe"
    why="the kernel has no MPTCP"
    return 1
  fi
  ip netns del "$probe"
}
why=""
case "$mode" in
  auto) if lab_possible; then mode=lab; else mode=udp; fi ;;
  lab) lab_possible || die "DEMO_MODE=lab: $why" ;;
  udp) ;;
  *) die "DEMO_MODE is auto, lab or udp, not '$mode'" ;;
esac

if [ -z "${PLAITD:-}" ]; then
  command -v bazel >/dev/null || die "no PLAITD given and no bazel to build it"
  say "building plaitd and plaitctl (bazel build //dataplane:plaitd //cli:plaitctl)"
  (cd "$repo" && bazel build //dataplane:plaitd //cli:plaitctl 2>&1 | tail -2) || die "the build failed"
  PLAITD=$repo/bazel-bin/dataplane/plaitd
  PLAITCTL=$repo/bazel-bin/cli/plaitctl
fi
[ -x "$PLAITD" ] || die "$PLAITD is not an executable"
# Optional: shows the client plaitd's connections through its API.
PLAITCTL=${PLAITCTL:-}

work=${DEMO_WORK:-$(mktemp -d -t plait-demo.XXXXXX)}
mkdir -p "$work" || die "cannot create $work"

# Everything started, stopped in reverse order on exit.
pids=()
daemons=()
lab_up=0
cleaned=0
cleanup() {
  [ "$cleaned" -eq 1 ] && return
  cleaned=1
  trap '' INT TERM
  local pid i
  echo
  say "stopping"
  # plaitd first, gracefully (SIGTERM: drain), so that connections end.
  for pid in "${daemons[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${daemons[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null
  done
  sleep 0.2
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$lab_up" -eq 1 ]; then
    bash "$lab" down && say "lab $LAB_A / $LAB_B removed"
  fi
  say "all stopped; the logs stay in $work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND...: runs it in the background, its output in
# $work/NAME.log; remembers its pid.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
}
# wait_line FILE REGEX WHAT: waits (10 s at most) for a line of the log.
wait_line() {
  for _ in $(seq 100); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "---- $1"
  tail -20 "$1"
  die "$3 did not start"
}
# json_field FILE EVENT FIELD: FIELD of the first EVENT line of a plaitd log.
json_field() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("event") == sys.argv[2]:
        print(r[sys.argv[3]]); break' "$@"
}

plaitd_flags=(--log-format=json --stats-interval 1 --drain-timeout 3)
if [ "$mode" = lab ]; then
  say "lab mode: two plaitd --mode=tun, the client in $LAB_A, the server in $LAB_B"
  bash "$lab" up || die "lab.sh up failed (a lab left over? LAB_A=$LAB_A LAB_B=$LAB_B bash $lab down)"
  lab_up=1
  # lab.sh sets A up for a userspace stack behind a TUN device (ip_forward,
  # proxy_arp on its veths); B gets the same here, for the server plaitd.
  ip netns exec "$LAB_B" sysctl -qw net.ipv4.ip_forward=1
  for i in 1 2; do
    ip netns exec "$LAB_B" sysctl -qw "net.ipv4.conf.vb$i.proxy_arp=1"
    ip netns exec "$LAB_B" sysctl -qw "net.ipv4.neigh.vb$i.proxy_delay=0"
  done
  for ns in "$LAB_A" "$LAB_B"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.send_redirects=0
  done
  # What leaves from a second path address takes the second veth path, on
  # both sides.
  ip netns exec "$LAB_A" ip rule add from 10.2.0.11 lookup 102
  ip netns exec "$LAB_A" ip route add 10.1.0.0/24 via 10.2.0.2 dev va2 table 102
  ip netns exec "$LAB_B" ip rule add from 10.2.0.12 lookup 102
  ip netns exec "$LAB_B" ip route add 10.1.0.0/24 via 10.2.0.1 dev vb2 table 102
  # B's application: the sink, behind the server plaitd.
  start sink ip netns exec "$LAB_B" python3 "$traffic" sink --bind 127.0.0.1 --port 5202
  wait_line "$work/sink.log" '^listening' "the TCP sink"
  server_log=$work/plaitd-server.log
  ip netns exec "$LAB_B" "$PLAITD" --mode=tun --tun plaitdemo1 \
    --path 10.1.0.12 --path 10.2.0.12 --serve 5201=127.0.0.1:5202 \
    --api "unix:$work/plaitd-server.sock" "${plaitd_flags[@]}" 2>"$server_log" &
  pids+=("$!")
  daemons+=("$!")
  wait_line "$server_log" '"event":"started"' "the server plaitd"
  client_log=$work/plaitd-client.log
  ip netns exec "$LAB_A" "$PLAITD" --mode=tun --tun plaitdemo0 \
    --path 10.1.0.11 --path 10.2.0.11 --forward 127.0.0.1:5201=10.1.0.12:5201 \
    --api "unix:$work/plaitd-client.sock" "${plaitd_flags[@]}" 2>"$client_log" &
  pids+=("$!")
  daemons+=("$!")
  wait_line "$client_log" '"event":"started"' "the client plaitd"
  forward_port=5201
  run_client=(ip netns exec "$LAB_A")
  say "client plaitd (pid ${daemons[1]}) in $LAB_A: TUN device plaitdemo0, paths 10.1.0.11 (veth va1) and 10.2.0.11 (veth va2)"
  say "server plaitd (pid ${daemons[0]}) in $LAB_B: TUN device plaitdemo1, paths 10.1.0.12 (veth vb1) and 10.2.0.12 (veth vb2)"
  say "forwarding $LAB_A's 127.0.0.1:5201 over MPTCP to the server plaitd at 10.1.0.12:5201, which serves the sink at $LAB_B's 127.0.0.1:5202"
else
  [ -n "$why" ] && say "UDP mode ($why): two plaitd on loopback"
  [ -z "$why" ] && say "UDP mode: two plaitd on loopback"
  start sink python3 "$traffic" sink --bind 127.0.0.1 --port 0
  wait_line "$work/sink.log" '^listening' "the TCP sink"
  sink_port=$(awk '/^listening/ {print $2; exit}' "$work/sink.log")
  serve=(--serve "5201=127.0.0.1:$sink_port")
  iperf_port=""
  if command -v iperf3 >/dev/null; then
    iperf_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start iperf3-server iperf3 -s -B 127.0.0.1 -p "$iperf_port"
    serve+=(--serve "5202=127.0.0.1:$iperf_port")
  fi
  server_log=$work/plaitd-server.log
  "$PLAITD" --path 127.0.0.3 --udp-port 0 "${serve[@]}" \
    --api "unix:$work/plaitd-server.sock" "${plaitd_flags[@]}" 2>"$server_log" &
  pids+=("$!")
  daemons+=("$!")
  wait_line "$server_log" '"event":"started"' "the server plaitd"
  server_udp=$(json_field "$server_log" path udp)
  client_log=$work/plaitd-client.log
  forwards=(--forward 127.0.0.1:0=127.0.0.3:5201)
  [ -n "$iperf_port" ] && forwards+=(--forward 127.0.0.1:0=127.0.0.3:5202)
  "$PLAITD" --path 127.0.0.1 --path 127.0.0.2 --udp-port 0 \
    --peer "127.0.0.3=$server_udp" "${forwards[@]}" \
    --api "unix:$work/plaitd-client.sock" "${plaitd_flags[@]}" 2>"$client_log" &
  pids+=("$!")
  daemons+=("$!")
  wait_line "$client_log" '"event":"started"' "the client plaitd"
  forward_port=$(json_field "$client_log" forward listen)
  forward_port=${forward_port##*:}
  run_client=()
  say "client plaitd (pid ${daemons[1]}): paths 127.0.0.1 and 127.0.0.2; server plaitd (pid ${daemons[0]}): path 127.0.0.3 (UDP $server_udp)"
  say "forwarding 127.0.0.1:$forward_port over MPTCP (two subflows in UDP) to the server, which serves the sink at 127.0.0.1:$sink_port"
fi
veth_bytes() {  # prints "NAME tx rx" for each of A's veths
  local i
  for i in 1 2; do
    echo "va$i $(ip netns exec "$LAB_A" cat "/sys/class/net/va$i/statistics/tx_bytes")" \
      "$(ip netns exec "$LAB_A" cat "/sys/class/net/va$i/statistics/rx_bytes")"
  done
}
[ "$mode" = lab ] && veth_before=$(veth_bytes)
# The table, on our own output.
python3 "$table" "$client_log" &
pids+=("$!")
traffic_seconds=${seconds:-10}
say "pushing traffic both ways for $traffic_seconds s; throughput per second (Mbit/s):"
"${run_client[@]}" python3 "$traffic" client --connect "127.0.0.1:$forward_port" \
  --seconds "$traffic_seconds" >"$work/client.log" 2>&1 &
client_pid=$!
pids+=("$client_pid")
say "processes: ${pids[*]} (plaitd: ${daemons[*]})"
if [ -x "$PLAITCTL" ]; then
  # Halfway through: the connection as the client plaitd's API shows it.
  sleep $(( traffic_seconds / 2 ))
  say "plaitctl --api unix:$work/plaitd-client.sock conns"
  "$PLAITCTL" --api "unix:$work/plaitd-client.sock" conns || say "plaitctl failed"
fi
wait "$client_pid"
client_rc=$?
# The connection's close line (with each subflow's bytes) follows.
sleep 1.5
say "$(cat "$work/client.log")"
[ "$client_rc" -eq 0 ] || die "the traffic client failed (exit $client_rc)"
if [ "$mode" = lab ]; then
  # What each veth path carried (A's side; out: A -> B).
  say "$(printf '%s\n%s\n' "$veth_before" "$(veth_bytes)" | awk '
    { if ($1 in tx) { printf "%s%s (%s) %.1f MiB out, %.1f MiB in", sep, $1,
        ($1 == "va1" ? "path 1" : "path 2"), ($2 - tx[$1]) / 1048576,
        ($3 - rx[$1]) / 1048576; sep = "; " }
      else { tx[$1] = $2; rx[$1] = $3 } }
    BEGIN { printf "veth paths: " }')"
fi
for pid in "${daemons[@]}"; do
  kill -0 "$pid" 2>/dev/null || die "plaitd (pid $pid) died; see $work"
done

if [ -n "$seconds" ]; then
  say "DEMO_SECONDS=$seconds: done"
  exit 0
fi

echo
say "both ends stay up; the table goes on with your own traffic. Ctrl-C stops everything."
if [ "$mode" = lab ]; then
  cat <<EOT
  Send your own traffic through the forwarder (it reaches the server plaitd
  in $LAB_B and the sink behind it, which discards it and sends random bytes
  back):
    sudo ip netns exec $LAB_A python3 $traffic client --connect 127.0.0.1:5201 --seconds 10
  Server plaitd's log:         $server_log
  Watch a path:                sudo ip netns exec $LAB_A tcpdump -ni va2 tcp
  Take a path down and up:     sudo ip netns exec $LAB_A ip link set va2 down (then up)
EOT
else
  cat <<EOT
  Send your own traffic through the forwarder (it reaches a sink that
  discards it and sends random bytes back):
    python3 $traffic client --connect 127.0.0.1:$forward_port --seconds 10
EOT
  if [ -n "$iperf_port" ]; then
    iperf_forward=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") == "forward":
        n += 1
        if n == 2: print(r["listen"].rsplit(":", 1)[1]); break' "$client_log")
    echo "    iperf3 -c 127.0.0.1 -p $iperf_forward          (iperf3 -s behind the server plaitd)"
  fi
fi
if [ -x "$PLAITCTL" ]; then
  cat <<EOT
  Drive the client plaitd through its API (plaitctl --help lists it all):
    $PLAITCTL --api unix:$work/plaitd-client.sock conns
    $PLAITCTL --api unix:$work/plaitd-client.sock sched set 1 redundant
    $PLAITCTL --api unix:$work/plaitd-client.sock subflow prio 1 1 backup
    $PLAITCTL --api unix:$work/plaitd-client.sock events
EOT
fi
cat <<EOT
  Logs (JSON, one event per line): $work
    $(cd "$work" && ls -- *.log | tr '\n' ' ')
  Stop: Ctrl-C (or kill $$): plaitd drains, everything started here stops$([ "$mode" = lab ] && echo ", the lab goes").
EOT
# The table keeps printing; wait for Ctrl-C.
sleep infinity &
pids+=("$!")
wait "$!"
