#!/usr/bin/env bash
# plaitd benchmarks, each next to a reference measured in the same run:
#  (1) one connection's throughput and CPU seconds per GB over the lab's two
#      veth paths (root; skipped with a message otherwise): plait
#      (tun-mptcp-endpoint, a plait stack behind TUN, two subflows) to the
#      Linux kernel's MPTCP server, vs the kernel's MPTCP client (with
#      `ip mptcp endpoint ... subflow`, two subflows) to the same server;
#      BENCH_MIB (default 512) MiB one way. CPU: utime + stime of the
#      client process (getrusage of children), and of client + server.
#  (2) plaitd's memory per idle connection: BENCH_CONNECTIONS (default
#      1000) connections through the proxy of two plaitd in UDP mode on
#      loopback, VmRSS and RssAnon of both before and after; reference: the
#      same number of plain kernel TCP socket pairs (kernel slab bytes).
# Builds //dataplane:plaitd and //tests/interop:tun-mptcp-endpoint (the
# normal optimized build) unless BENCH_PLAITD / BENCH_ENDPOINT are given.
# Namespaces: LAB_A/LAB_B (default plait-bench-a/b plus the PID), always
# removed. Usage: bench/plaitd_bench.sh (from anywhere).
set -u
export PATH="$PATH:/usr/sbin:/sbin"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
mib=${BENCH_MIB:-512}
conns=${BENCH_CONNECTIONS:-1000}
helper=$root/bench/plaitd_bench.py
plaitd=${BENCH_PLAITD:-}
endpoint=${BENCH_ENDPOINT:-}
if [ -z "$plaitd" ] || [ -z "$endpoint" ]; then
  echo "== building plaitd and tun-mptcp-endpoint"
  bazel build //dataplane:plaitd //tests/interop:tun-mptcp-endpoint || { echo "FAIL: build"; exit 1; }
  bin=$root/bazel-bin
  plaitd=${plaitd:-$bin/dataplane/plaitd}
  endpoint=${endpoint:-$bin/tests/interop/tun-mptcp-endpoint}
fi
tmp=$(mktemp -d -t plaitd_bench.XXXXXX)
export LAB_A=${LAB_A:-plait-bench-a$$} LAB_B=${LAB_B:-plait-bench-b$$}
lab=$root/deploy/lab/lab.sh
lab_up=0
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ "$lab_up" = 1 ] && bash "$lab" down
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
failures=0
rows=()

# ---- (1) throughput and CPU s/GB over the lab -------------------------------
# one_run NAME CLIENT_CMD...: the kernel's sink in B, the client in A.
one_run() {
  local name=$1 port=$2
  shift 2
  local dir=$tmp/$name spid
  mkdir -p "$dir"
  ip netns exec "$LAB_B" python3 "$helper" sink --port "$port" --report "$dir/sink.json" \
    >"$dir/sink.log" 2>&1 &
  spid=$!
  pids+=("$spid")
  for _ in $(seq 50); do grep -q listening "$dir/sink.log" && break; sleep 0.1; done
  python3 "$helper" run --report "$dir/client.json" --stdout "$dir/client.out" -- \
    ip netns exec "$LAB_A" "$@" 2>"$dir/client.err" \
    || { echo "FAIL: $name client exited non-zero"; tail -5 "$dir/client.err" "$dir/client.out"; failures=$((failures + 1)); }
  wait "$spid" || { echo "FAIL: $name sink"; cat "$dir/sink.log"; failures=$((failures + 1)); }
}

throughput() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED (1) lab throughput: not root (needs network namespaces and a TUN device)"
    return
  fi
  [ -c /dev/net/tun ] || { echo "SKIPPED (1): no /dev/net/tun"; return; }
  [ -x "$endpoint" ] || { echo "FAIL: no tun-mptcp-endpoint at $endpoint"; failures=$((failures + 1)); return; }
  lab_up=1
  bash "$lab" up >/dev/null || { echo "FAIL: lab.sh up"; failures=$((failures + 1)); return; }
  ip netns exec "$LAB_A" sysctl -qw net.ipv4.conf.all.send_redirects=0
  # The kernel client in A: a second subflow from va2 (10.2.0.1).
  ip netns exec "$LAB_A" ip mptcp limits set subflow 2 add_addr_accepted 2
  ip netns exec "$LAB_A" ip mptcp endpoint add 10.2.0.1 dev va2 subflow
  local bytes=$((mib << 20)) i
  echo "== (1) one connection, $mib MiB one way over two veth paths (unlimited rate), 3 rounds each, alternating"
  for i in 1 2 3; do
    one_run "plait$i" $((5400 + 2 * i)) "$endpoint" --port $((5400 + 2 * i)) --bytes "$bytes" --timeout_s 120
    one_run "kernel$i" $((5401 + 2 * i)) python3 "$helper" kclient --connect 10.1.0.2 \
      --port $((5401 + 2 * i)) --bytes "$bytes"
  done
  python3 - "$tmp" "$mib" <<'EOF'
import json, sys, statistics
tmp, mib = sys.argv[1], int(sys.argv[2])
def load(name):
    out = []
    for i in (1, 2, 3):
        try:
            s = json.load(open(f"{tmp}/{name}{i}/sink.json"))
            c = json.load(open(f"{tmp}/{name}{i}/client.json"))
        except Exception:
            continue
        gb = s["bytes"] / 1e9
        out.append({"mbps": s["bytes"] * 8 / s["seconds"] / 1e6,
                    "client_cpu_per_gb": c["cpu_s"] / gb,
                    "all_cpu_per_gb": (c["cpu_s"] + s["cpu_s"]) / gb,
                    "ok": s["bytes"] == mib << 20 and c["rc"] == 0})
    return out
p, k = load("plait"), load("kernel")
if not p or not k or not all(r["ok"] for r in p + k):
    print("FAIL: a throughput run did not move all bytes", p, k)
    sys.exit(1)
med = lambda rs, key: statistics.median(r[key] for r in rs)
print(f"{'metric (median of 3)':44s} {'plait':>10s} {'kernel':>10s} {'plait/kernel':>13s}")
for key, label in (("mbps", "throughput, Mbit/s"),
                   ("client_cpu_per_gb", "CPU s/GB, client process"),
                   ("all_cpu_per_gb", "CPU s/GB, client + server processes")):
    a, b = med(p, key), med(k, key)
    print(f"{label:44s} {a:10.2f} {b:10.2f} {a / b:13.3f}")
print("per round, plait:", [round(r["mbps"]) for r in p], "Mbit/s; kernel:",
      [round(r["mbps"]) for r in k], "Mbit/s")
EOF
  [ $? -eq 0 ] || failures=$((failures + 1))
  bash "$lab" down
  lab_up=0
}

# ---- (2) memory per idle connection -----------------------------------------
memory() {
  echo "== (2) plaitd memory: $conns idle connections through the proxy (UDP mode, loopback)"
  ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  python3 "$helper" memory --plaitd "$plaitd" --connections "$conns" --work "$tmp/memory" \
    >"$tmp/memory.json" || { echo "FAIL: memory benchmark"; failures=$((failures + 1)); return; }
  python3 - "$tmp/memory.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
n, got = r["connections"], r["reached_application"]
print(f"connections asked {n}, established end to end {got}, refused by the client's stack "
      f"{r['refused']['client']}, by the server's {r['refused']['server']}; "
      f"{r['subflows_per_connection']:.2f} subflows each; opened in {r['open_seconds']} s")
if got < n:
    print(f"WARNING: plaitd refused {n - got} of {n} connections (its stack's default "
          f"max_buffer_bytes, 1 GiB of reserved buffers): per-connection figures are over {got}")
print(f"{'':28s} {'RSS before':>11s} {'RSS after':>10s} {'RSS/conn':>10s} {'anon/conn':>10s}")
for k in ("client", "server"):
    d = r[k]
    print(f"plaitd {k:21s} {d['rss_kib_before']:8d} KiB {d['rss_kib_after']:6d} KiB "
          f"{d['rss_bytes_per_conn'] / 1024:6.1f} KiB {d['anon_bytes_per_conn'] / 1024:6.1f} KiB")
ref = r["kernel_tcp_reference"]
per = (ref["slab_bytes"] / ref["connections"] / 1024) if ref["slab_bytes"] is not None else None
print(f"reference: {ref['connections']} plain kernel TCP socket pairs (loopback, idle, one byte each): "
      + (f"{per:.1f} KiB of kernel slab per pair" if per is not None else "slab not readable (not root)")
      + f", TCP socket memory {ref['sockstat_bytes']} bytes")
if per:
    for k in ("client", "server"):
        print(f"ratio plaitd {k} RSS per connection / kernel slab per TCP pair: "
              f"{r[k]['rss_bytes_per_conn'] / 1024 / per:.1f}")
bad = {k: v for k, v in r["exit_codes"].items() if v != 0}
if bad:
    print("FAIL: plaitd exit codes after SIGTERM:", bad)
    sys.exit(1)
EOF
  [ $? -eq 0 ] || failures=$((failures + 1))
}

start=$(date +%s)
throughput
memory
echo "plaitd_bench: took $(($(date +%s) - start)) s"
[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
