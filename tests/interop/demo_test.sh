#!/usr/bin/env bash
# deploy/demo/demo.sh with DEMO_SECONDS=5: as root the lab variant (two
# plaitd --mode=tun, one in each deploy/lab namespace, real MPTCP between
# them over the two veth paths) and the UDP variant (two plaitd on
# loopback); otherwise the UDP variant only, and it says why the lab one is
# skipped. Each run must exit 0, its live table must show a second in which
# both subflows carried bytes, the connection's close line must show both
# subflows with at least 1 MiB sent and received and a normal close (in the
# lab, from the two path addresses 10.1.0.11 and 10.2.0.11, and each veth
# path must have carried at least 1 MiB each way), and afterwards none of
# the processes it started may be alive (the pids it prints, and anything
# naming its work directory) and the lab namespaces must be gone.
set -u
export PATH="$PATH:/usr/sbin:/sbin"
demo=deploy/demo/demo.sh
export PLAITD=$PWD/dataplane/plaitd
export PLAITCTL=$PWD/cli/plaitctl
# Not under TEST_TMPDIR: the plaitd API sockets live in the work directory,
# and a unix socket's path must stay under 108 bytes.
root=$(mktemp -d -t plait-demo-test.XXXXXX)
trap 'rm -rf "$root"' EXIT
failures=0

check_run() {  # MODE
  local mode=$1 work=$root/demo-$1 out=$root/demo-$1.out rc=0
  export LAB_A=plait-demo-a$$ LAB_B=plait-demo-b$$
  echo "== DEMO_MODE=$mode"
  DEMO_MODE=$mode DEMO_SECONDS=5 DEMO_WORK=$work timeout 120 bash "$demo" >"$out" 2>&1 || rc=$?
  cat "$out"
  local problems=()
  [ "$rc" -eq 0 ] || problems+=("demo.sh exited $rc")
  python3 - "$out" "$mode" <<'PY' || problems+=("the output does not show both subflows carrying bytes")
import re, sys
text = open(sys.argv[1]).read()
lab = sys.argv[2] == "lab"
# A table row: time, conn, up, down, then (local, send, recv) per subflow.
rows = [l.split() for l in text.splitlines() if re.match(r"^\s+\d+s\s+\d+\s", l)]
both = [r for r in rows if len(r) >= 10 and
        float(r[5]) + float(r[6]) > 0 and float(r[8]) + float(r[9]) > 0]
print("table: %d rows, %d with both subflows carrying bytes" % (len(rows), len(both)))
closes = re.findall(r"conn \d+ closed \(normal\).*", text)
ok = bool(both) and bool(closes)
for line in closes:
    sf = re.findall(r"subflow (\d) (\S+) sent ([\d.]+) MiB received ([\d.]+) MiB", line)
    print("close: %s" % ["%s %s/%s MiB" % (a, s, r) for _, a, s, r in sf])
    ok = ok and len(sf) == 2 and all(float(s) >= 1 and float(r) >= 1 for _, _, s, r in sf)
    if lab:
        ok = ok and sorted(a.rsplit(":", 1)[0] for _, a, _, _ in sf) == ["10.1.0.11", "10.2.0.11"]
if lab:
    paths = re.findall(r"(va\d) \(path \d\) ([\d.]+) MiB out, ([\d.]+) MiB in", text)
    print("veth paths: %s" % ["%s %s/%s MiB" % p for p in paths])
    ok = ok and sorted(p[0] for p in paths) == ["va1", "va2"] and all(
        float(o) >= 1 and float(i) >= 1 for _, o, i in paths)
sys.exit(0 if ok else 1)
PY
  local pids pid
  pids=$(sed -n 's/^demo: processes: \([0-9 ]*\).*/\1/p' "$out")
  # Halfway through, plaitctl asked the client plaitd's API for its
  # connections: one ESTABLISHED, with its two subflows.
  grep -q "plaitctl --api unix:.* conns" "$out" || problems+=("no plaitctl conns step")
  [ "$(grep -c "ESTABLISHED" "$out")" -ge 3 ] ||
    problems+=("plaitctl conns does not show a connection and two subflows ESTABLISHED")
  [ -n "$pids" ] || problems+=("no processes line")
  for pid in $pids; do
    kill -0 "$pid" 2>/dev/null && problems+=("pid $pid still runs: $(ps -o args= -p "$pid")")
  done
  if pgrep -f "$work" >/dev/null; then
    problems+=("still running: $(pgrep -af "$work" | tr '\n' ';')")
  fi
  for ns in "$LAB_A" "$LAB_B"; do
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" && problems+=("namespace $ns left")
  done
  if [ ${#problems[@]} -eq 0 ]; then
    echo "ok: DEMO_MODE=$mode (exit 0, both subflows carried bytes, nothing left running)"
  else
    printf 'FAIL: DEMO_MODE=%s: %s\n' "$mode" "${problems[@]}"
    failures=$((failures + 1))
  fi
  # Whatever a failure left behind goes.
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
  for ns in "$LAB_A" "$LAB_B"; do ip netns del "$ns" 2>/dev/null; done
}

lab_why=""
if [ "$(id -u)" -ne 0 ]; then
  lab_why="not root"
elif [ ! -c /dev/net/tun ]; then
  lab_why="no /dev/net/tun"
elif ! ip netns add plaitdemoprobe$$ 2>/dev/null; then
  lab_why="cannot create a network namespace"
else
  ip netns exec plaitdemoprobe$$ sysctl -n net.mptcp.enabled >/dev/null 2>&1 || lab_why="no kernel MPTCP"
  ip netns del plaitdemoprobe$$
fi
if [ -z "$lab_why" ]; then
  check_run lab
else
  echo "SKIPPED lab variant: $lab_why (run ./x test as root)"
fi
check_run udp

[ "$failures" -eq 0 ] || exit 1
echo "PASS"
