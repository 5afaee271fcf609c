#!/usr/bin/env bash
# Hostile input: malformed packets and random bytes for HOSTILE_SECONDS
# (default 60; the first argument overrides it) into
#  (a) plaitd's UDP sockets: two plaitd on loopback (unprivileged) carry a
#      live transfer through the proxy, both ways at once, while
#      hostile_junk.py sends junk datagrams to all three UDP sockets of both
#      nodes (hostile_udp.py);
#  (b) the TUN device (root only, otherwise skipped with a reason): in the
#      deploy/lab namespaces tun-mptcp-endpoint (a plait stack behind TUN)
#      carries live transfers to the Linux kernel's MPTCP server in B, back
#      to back for the whole time, while hostile_junk.py writes crafted IPv4
#      packets with an AF_PACKET socket on both of B's veths to the plait
#      addresses, which A's kernel forwards into the TUN device.
# Passes only if nothing crashed, every live transfer completed with equal
# SHA-256 each way, every process exited 0 (plaitd after SIGTERM) and no
# sanitizer wrote a report.
#
# Standalone (./tests/interop/hostile_input_test.sh [SECONDS], from
# anywhere): builds plaitd and tun-mptcp-endpoint with --config=asan
# (ASan + LSan + UBSan, gcc) in a separate output base
# ($(bazel info output_base)-asan, --symlink_prefix=/) so that the normal
# build's cache stays as it is; HOSTILE_PLAITD and HOSTILE_ENDPOINT use
# given binaries instead. Under `bazel test` it uses the binaries of that
# build (sanitized with `bazel test --config=asan`, and it says which).
# Knobs: HOSTILE_SECONDS, HOSTILE_RATE (junk packets per second per part,
# default 3000), HOSTILE_PARTS (default "udp tun"), LAB_A/LAB_B (default
# plait-hostile-a/b plus the PID).
set -u
export PATH="$PATH:/usr/sbin:/sbin"
seconds=${1:-${HOSTILE_SECONDS:-60}}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "FAIL: SECONDS must be a whole number, got '$seconds'"; exit 2; }
rate=${HOSTILE_RATE:-3000}
parts=${HOSTILE_PARTS:-udp tun}

if [ -n "${TEST_SRCDIR:-}" ]; then
  root=$PWD   # the runfiles tree of the workspace
  plaitd=${HOSTILE_PLAITD:-$root/dataplane/plaitd}
  endpoint=${HOSTILE_ENDPOINT:-$root/tests/interop/tun-mptcp-endpoint}
else
  root=$(cd "$(dirname "$0")/../.." && pwd)
  cd "$root" || exit 1
  plaitd=${HOSTILE_PLAITD:-}
  endpoint=${HOSTILE_ENDPOINT:-}
  if [ -z "$plaitd" ] || [ -z "$endpoint" ]; then
    # A separate output base beside this workspace's, so that the sanitized
    # build does not throw away the normal one (`bazel info` waits for any
    # build running in this workspace).
    base="$(bazel info output_base 2>/dev/null)-asan"
    [ "$base" != "-asan" ] || { echo "FAIL: bazel info output_base failed"; exit 1; }
    echo "== building plaitd and tun-mptcp-endpoint with --config=asan (output base $base)"
    t0=$(date +%s)
    bazel --output_base="$base" build --config=asan --symlink_prefix=/ \
      //dataplane:plaitd //tests/interop:tun-mptcp-endpoint \
      || { echo "FAIL: the ASan build failed"; exit 1; }
    bin=$(bazel --output_base="$base" info --config=asan bazel-bin 2>/dev/null)
    plaitd=${plaitd:-$bin/dataplane/plaitd}
    endpoint=${endpoint:-$bin/tests/interop/tun-mptcp-endpoint}
    echo "   built in $(($(date +%s) - t0)) s"
  fi
fi
junk=$root/tests/interop/hostile_junk.py
[ -x "$plaitd" ] || { echo "FAIL: no plaitd at $plaitd"; exit 1; }

sanitized() { ldd "$1" 2>/dev/null | grep -q libasan && echo yes || echo no; }
echo "plaitd: $plaitd (ASan/LSan: $(sanitized "$plaitd"))"

tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/hostile.XXXXXX")
sanlog=$tmp/sanitizer
mkdir -p "$sanlog"
# Reports go to files (checked below) as well as the exit code; a leak at
# exit turns the exit code into 23.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=66:log_path=$sanlog/asan:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="exitcode=23:log_path=$sanlog/lsan:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=67:log_path=$sanlog/ubsan:${UBSAN_OPTIONS:-}"

LAB_A=${LAB_A:-plait-hostile-a$$}
LAB_B=${LAB_B:-plait-hostile-b$$}
export LAB_A LAB_B
lab=$root/deploy/lab/lab.sh
lab_up=0
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ "$lab_up" = 1 ] && bash "$lab" down
  if [ "${HOSTILE_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failures=0
check_sanitizers() {
  local f found=0
  for f in "$sanlog"/*; do
    [ -s "$f" ] || continue
    found=1
    echo "---- sanitizer report $f ----"
    head -60 "$f"
  done
  if [ "$found" = 1 ]; then
    echo "FAIL: $1: a sanitizer reported a problem"
    failures=$((failures + 1))
    rm -f "$sanlog"/*
  else
    echo "sanitizers: no report ($1)"
  fi
}

start=$(date +%s)
# ---- (a) plaitd's UDP sockets -------------------------------------------
if [[ " $parts " == *" udp "* ]]; then
  echo "== (a) UDP: two plaitd on loopback, live transfer + junk for ${seconds}s at ${rate}/s"
  t0=$(date +%s)
  python3 "$root/tests/interop/hostile_udp.py" --plaitd "$plaitd" --junk "$junk" \
    --work "$tmp/udp" --seconds "$seconds" --rate "$rate" \
    || { echo "FAIL: (a) UDP"; failures=$((failures + 1)); }
  check_sanitizers "(a) UDP"
  echo "(a) took $(($(date +%s) - t0)) s"
fi

# ---- (b) the TUN device ----------------------------------------------------
tun_part() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIPPED (b) TUN: not root (needs network namespaces and a TUN device)"; return; }
  local tool
  for tool in ip tc python3 timeout ss; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIPPED (b) TUN: $tool is not installed"; return; }
  done
  [ -c /dev/net/tun ] || { echo "SKIPPED (b) TUN: no /dev/net/tun"; return; }
  [ -x "$endpoint" ] || { echo "FAIL: no tun-mptcp-endpoint at $endpoint"; failures=$((failures + 1)); return; }
  echo "tun-mptcp-endpoint: $endpoint (ASan/LSan: $(sanitized "$endpoint"))"
  # 100 Mbit/s per path and direction: the transfers last long enough.
  lab_up=1
  bash "$lab" up --rate 100 || { echo "FAIL: lab.sh up"; failures=$((failures + 1)); return; }
  ip netns exec "$LAB_A" sysctl -qw net.ipv4.conf.all.send_redirects=0
  ip netns exec "$LAB_A" sysctl -qw net.ipv4.conf.all.rp_filter=0
  local mac1 mac2 dir=$tmp/tun t0 deadline run=0 port=5301 junk_pid
  mac1=$(ip netns exec "$LAB_A" cat /sys/class/net/va1/address)
  mac2=$(ip netns exec "$LAB_A" cat /sys/class/net/va2/address)
  mkdir -p "$dir"
  echo "== (b) TUN: plait (tun-mptcp-endpoint, two paths) -> kernel MPTCP server, junk from B for ${seconds}s at ${rate}/s"
  t0=$(date +%s)
  deadline=$((t0 + seconds))
  ip netns exec "$LAB_B" python3 "$junk" raw --ifname vb1 --ifname vb2 \
    --dst-mac "$mac1,$mac2" --target 10.1.0.11 --target 10.2.0.11 \
    --source 10.1.0.2 --source 10.2.0.2 --spoof-inner 10.1.0.2 \
    --port "$port" --port 80 --live-port-file "$dir/live" \
    --seconds "$seconds" --rate "$rate" --report "$dir/junk.json" >"$dir/junk.log" 2>&1 &
  junk_pid=$!
  pids+=("$junk_pid")
  # Transfers back to back until the junk stops; 40 MiB each way is a few
  # seconds at the lab's rate.
  local tun_in=0 drops="" stack=""
  while [ "$(date +%s)" -lt "$deadline" ] || [ "$run" -eq 0 ]; do
    run=$((run + 1))
    local r=$dir/run$run bytes=$((40 << 20)) kpid epid prc=0 krc=0
    mkdir -p "$r"
    ip netns exec "$LAB_B" timeout 200 python3 "$root/tests/interop/kernel_mptcp_peer.py" \
      --port "$port" --bytes "$bytes" --report "$r/kernel.json" >"$r/peer.log" 2>&1 &
    kpid=$!
    pids+=("$kpid")
    for _ in $(seq 50); do grep -q listening "$r/peer.log" && break; sleep 0.1; done
    ip netns exec "$LAB_A" timeout 200 "$endpoint" --port "$port" --bytes "$bytes" \
      --timeout_s 180 >"$r/plait.json" 2>"$r/plait.log" &
    epid=$!
    pids+=("$epid")
    # The live 4-tuple for the junk's bad-checksum segments.
    for _ in $(seq 30); do
      ip netns exec "$LAB_B" ss -Htn state established "( sport = :$port )" 2>/dev/null \
        | awk '{print $4}' | grep -m1 '^10\.1\.0\.11:' | sed 's/.*://' >"$r/lport"
      [ -s "$r/lport" ] && { echo "$(cat "$r/lport") $port" >"$dir/live"; break; }
      sleep 0.1
    done
    wait "$epid" || prc=$?
    wait "$kpid" || krc=$?
    if ! python3 - "$r/plait.json" "$r/kernel.json" "$prc" "$krc" "$run" <<'EOF'
import json, sys
p_path, k_path, prc, krc, run = sys.argv[1:]
try:
    p = json.load(open(p_path)); k = json.load(open(k_path))
except Exception as e:
    print(f"run {run}: no report ({e}); endpoint exit {prc}, kernel peer exit {krc}")
    sys.exit(1)
ok = (p["ok"] and prc == "0" and krc == "0"
      and p["sent_sha256"] == k["received_sha256"] and p["sent_bytes"] == k["received_bytes"]
      and k["sent_sha256"] == p["received_sha256"] and k["sent_bytes"] == p["received_bytes"]
      and len(k["subflows"]) >= 2)
d = {n: v for n, v in p["tun_stats"]["drops"].items() if v}
print(f"run {run}: {p['sent_bytes'] >> 20} MiB each way in {p['seconds']:.1f} s, "
      f"sha256 {'equal' if ok else 'DIFFERENT or failed'} both ways, "
      f"{len(k['subflows'])} kernel subflows; TUN packets in {p['tun_stats']['packets_in']}, "
      f"TUN drops {d or 'none'}, stack {p['stack_stats']}, problems {p['problems']}")
sys.exit(0 if ok else 1)
EOF
    then
      echo "FAIL: (b) run $run"
      tail -5 "$r/plait.log" "$r/peer.log"
      failures=$((failures + 1))
      break
    fi
  done
  wait "$junk_pid" || { echo "FAIL: the junk generator exited $?"; cat "$dir/junk.log"; failures=$((failures + 1)); }
  echo "junk injected into the TUN path: $(tail -1 "$dir/junk.log")"
  python3 - "$dir" <<'EOF'
import glob, json, sys
tot = {}
for f in sorted(glob.glob(sys.argv[1] + "/run*/plait.json")):
    try:
        p = json.load(open(f))
    except Exception:
        continue
    for k, v in p["stack_stats"].items():
        tot["stack_" + k] = tot.get("stack_" + k, 0) + v
    for k, v in p["tun_stats"]["drops"].items():
        tot["tun_drop_" + k] = tot.get("tun_drop_" + k, 0) + v
    tot["tun_packets_in"] = tot.get("tun_packets_in", 0) + p["tun_stats"]["packets_in"]
print("plait drops over all runs (TUN device and stack):", json.dumps(tot))
EOF
  echo "A's kernel dropped before the TUN device (bad IPv4 headers):" \
    "$(ip netns exec "$LAB_A" nstat -az IpInHdrErrors IpInTruncatedPkts IpInAddrErrors 2>/dev/null | awk 'NR>1 && $1 !~ /^#/ {printf "%s=%s ", $1, $2}')"
  echo "(b) took $(($(date +%s) - t0)) s, $run live transfer(s)"
  bash "$lab" down
  lab_up=0
}
if [[ " $parts " == *" tun "* ]]; then
  tun_part
  check_sanitizers "(b) TUN"
fi

echo "hostile input: took $(($(date +%s) - start)) s"
if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS: nothing crashed, every live transfer is intact, no sanitizer report"
