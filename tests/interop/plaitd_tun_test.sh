#!/usr/bin/env bash
# plaitd --mode=tun against the Linux kernel's MPTCP, through the proxy.
#
#   namespace A (LAB_A)                          namespace B (LAB_B)
#   client app -> 127.0.0.1:PORT (plaitd --forward)
#   plaitd --mode=tun, paths 10.1.0.11, 10.2.0.11 --- 2 veth paths ---
#                                          kernel MPTCP server 10.1.0.2:5201
#                                          (kernel_mptcp_peer.py)
#
# deploy/lab/lab.sh builds the namespaces; plaitd creates its TUN device and
# routes its path addresses through it. A policy rule in A sends what comes
# from 10.2.0.11 over the second veth, so that the second subflow (plaitd's
# path manager opens it from 10.2.0.11 to the server's 10.1.0.2) really
# travels the second path. 64 MiB (PLAITD_TUN_MIB) go each way at once.
# Checked: equal SHA-256 both ways; the kernel's own list of the
# connection's subflows (MPTCP_SUBFLOW_ADDRS) has one from each plaitd path
# address; plaitd's close line shows two subflows that each carried at
# least 5% of the bytes each way, and no TUN drop; each veth path carried
# at least that share too; then SIGTERM: plaitd drains and exits 0, and its
# host routes and its device are gone.
#
# Needs root, network namespaces, /dev/net/tun, kernel MPTCP and python3;
# without them it prints "SKIPPED: <reason>" and passes. The namespaces and
# processes go on any exit.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

skip() {
  echo "SKIPPED: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root: plaitd --mode=tun needs a TUN device and network namespaces (run ./x test as root)"
for tool in ip python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (./x setup installs it)"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
probe=plaittundprobe$$
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
if ! ip netns exec "$probe" sysctl -n net.mptcp.enabled >/dev/null 2>&1; then
  ip netns del "$probe" 2>/dev/null
  skip "the kernel has no MPTCP (net.mptcp.enabled missing)"
fi
ip netns del "$probe"

lab=deploy/lab/lab.sh
plaitd=$PWD/dataplane/plaitd
peer=tests/interop/kernel_mptcp_peer.py
export LAB_A=plait-tund-a$$ LAB_B=plait-tund-b$$
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/plaitd_tun.XXXXXX")
mib=${PLAITD_TUN_MIB:-64}
bytes=$((mib << 20))
tun=plaittd0
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  bash "$lab" down
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
  echo "FAIL: $*"
  for f in plaitd.log peer.log client.json kernel.json; do
    [ -f "$tmp/$f" ] && { echo "---- $f"; tail -c 6000 "$tmp/$f"; }
  done
  exit 1
}
inA() { ip netns exec "$LAB_A" "$@"; }
inB() { ip netns exec "$LAB_B" "$@"; }

bash "$lab" up || fail "lab.sh up"
inB ip mptcp limits set subflow 2 add_addr_accepted 2
inA sysctl -qw net.ipv4.conf.all.send_redirects=0
# The second path address's packets leave over the second veth.
inA ip rule add from 10.2.0.11 lookup 102
inA ip route add 10.1.0.0/24 via 10.2.0.2 dev va2 table 102

veth_bytes() {  # NAME: "tx rx" bytes of A's veth
  echo "$(inA cat "/sys/class/net/$1/statistics/tx_bytes") $(inA cat "/sys/class/net/$1/statistics/rx_bytes")"
}
read -r va1_tx0 va1_rx0 <<<"$(veth_bytes va1)"
read -r va2_tx0 va2_rx0 <<<"$(veth_bytes va2)"

ip netns exec "$LAB_B" timeout 300 python3 "$peer" --port 5201 --bytes "$bytes" \
  --report "$tmp/kernel.json" >"$tmp/peer.log" 2>&1 &
peer_pid=$!
pids+=("$peer_pid")
for _ in $(seq 50); do grep -q listening "$tmp/peer.log" && break; sleep 0.1; done
grep -q listening "$tmp/peer.log" || fail "the kernel MPTCP server did not start"

ip netns exec "$LAB_A" "$plaitd" --mode=tun --tun "$tun" --path 10.1.0.11 --path 10.2.0.11 --api none \
  --forward 127.0.0.1:0=10.1.0.2:5201 --log-format=json --stats-interval 1 \
  --drain-timeout 10 2>"$tmp/plaitd.log" &
plaitd_pid=$!
pids+=("$plaitd_pid")
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/plaitd.log" && break; sleep 0.1; done
grep -q '"event":"started"' "$tmp/plaitd.log" || fail "plaitd did not start"
port=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") == "forward":
        print(r["listen"].rsplit(":", 1)[1]); break' "$tmp/plaitd.log")
[ -n "$port" ] || fail "no forward line in plaitd's log"
for a in 10.1.0.11 10.2.0.11; do
  [ -n "$(inA ip route show "$a/32" dev "$tun")" ] || fail "no route to $a through $tun"
done
echo "plaitd up: $tun routes 10.1.0.11 and 10.2.0.11, forwarding 127.0.0.1:$port -> 10.1.0.2:5201"

# The application: MIB MiB each way at once through the forwarder.
start=$(date +%s.%N)
inA timeout 300 python3 - "$port" "$bytes" "$tmp/client.json" <<'PY' || fail "the client failed"
import hashlib, json, os, socket, sys, threading
port, total, report = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=240)
sent = hashlib.sha256()
result = {}
def send():
    left = total
    while left:
        block = os.urandom(min(left, 1 << 20))
        sent.update(block)
        s.sendall(block)
        left -= len(block)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = hashlib.sha256()
n = 0
while True:
    data = s.recv(1 << 20)
    if not data:
        break
    got.update(data)
    n += len(data)
t.join()
s.close()
json.dump({"sent_bytes": total, "sent_sha256": sent.hexdigest(),
           "received_bytes": n, "received_sha256": got.hexdigest()},
          open(report, "w"))
PY
end=$(date +%s.%N)
wait "$peer_pid" || fail "the kernel peer exited $?"
read -r va1_tx1 va1_rx1 <<<"$(veth_bytes va1)"
read -r va2_tx1 va2_rx1 <<<"$(veth_bytes va2)"

# The connection's close line (logged once both DATA_FINs are acknowledged).
for _ in $(seq 100); do grep -q '"event":"conn_close"' "$tmp/plaitd.log" && break; sleep 0.1; done
kill -TERM "$plaitd_pid"
rc=0
timeout 20 tail --pid="$plaitd_pid" -f /dev/null || fail "plaitd did not exit within 20 s of SIGTERM"
wait "$plaitd_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "plaitd exited $rc after SIGTERM"
routes=$(inA ip route show table all | grep -E '10\.[12]\.0\.11|'"$tun" || true)
[ -z "$routes" ] || fail "routes left after plaitd exited: $routes"
inA ip link show "$tun" >/dev/null 2>&1 && fail "$tun is still there after plaitd exited"

python3 - "$tmp" "$bytes" "$start" "$end" \
  "$((va1_tx1 - va1_tx0))" "$((va1_rx1 - va1_rx0))" \
  "$((va2_tx1 - va2_tx0))" "$((va2_rx1 - va2_rx0))" <<'PY' || fail "checks failed"
import json, sys
tmp, total = sys.argv[1], int(sys.argv[2])
seconds = float(sys.argv[4]) - float(sys.argv[3])
va = {"va1": (int(sys.argv[5]), int(sys.argv[6])),
      "va2": (int(sys.argv[7]), int(sys.argv[8]))}
client = json.load(open(tmp + "/client.json"))
kernel = json.load(open(tmp + "/kernel.json"))
log = [json.loads(l) for l in open(tmp + "/plaitd.log") if l.strip()]
problems = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        problems.append(what)
check(client["sent_sha256"] == kernel["received_sha256"] and
      kernel["received_bytes"] == total,
      "client -> kernel: %d bytes, sha256 %s / %s" % (
          kernel["received_bytes"], client["sent_sha256"][:16],
          kernel["received_sha256"][:16]))
check(kernel["sent_sha256"] == client["received_sha256"] and
      client["received_bytes"] == total and not kernel["send_error"],
      "kernel -> client: %d bytes, sha256 %s / %s" % (
          client["received_bytes"], kernel["sent_sha256"][:16],
          client["received_sha256"][:16]))
print("     %d MiB each way in %.2f s: %.0f Mbit/s each way" % (
    total >> 20, seconds, total * 8 / seconds / 1e6))
peers = sorted({remote.rsplit(":", 1)[0] for _, remote in kernel["subflows"]})
check(peers == ["10.1.0.11", "10.2.0.11"] and kernel["max_extra_subflows"] >= 1,
      "the kernel's subflows: %s (MPTCP_INFO: %d besides the initial one)" % (
          kernel["subflows"], kernel["max_extra_subflows"]))
closes = [r for r in log if r.get("event") == "conn_close"]
check(len(closes) == 1, "one connection closed in plaitd's log")
if closes:
    c = closes[0]
    check(c["reason"] == "normal" and not c["fallback"] and
          c["bytes_to_mptcp"] == total and c["bytes_to_socket"] == total,
          "plaitd's close: reason %s, fallback %s, %d bytes to MPTCP, %d to "
          "the socket" % (c["reason"], c["fallback"], c["bytes_to_mptcp"],
                          c["bytes_to_socket"]))
    check(c["subflows"] == 2, "plaitd's subflows: %d" % c["subflows"])
    for i in range(c["subflows"]):
        sent, got = c["sf%d_sent_bytes" % i], c["sf%d_received_bytes" % i]
        check(sent >= total // 20 and got >= total // 20,
              "subflow %d from %s: sent %.1f MiB, received %.1f MiB" % (
                  i, c["sf%d_local" % i], sent / 2**20, got / 2**20))
for name, (tx, rx) in sorted(va.items()):
    check(tx >= total // 20 and rx >= total // 20,
          "path %s: %.1f MiB out, %.1f MiB in" % (name, tx / 2**20, rx / 2**20))
stats = [r for r in log if r.get("event") == "conn_stats"]
check(any(r.get("sf1_send_mbps", 0) > 0 for r in stats),
      "%d conn_stats lines, the second subflow's among them" % len(stats))
tun = [r for r in log if r.get("event") == "tun_stats"]
check(len(tun) == 1 and all(v == 0 for k, v in tun[0].items()
                            if k.startswith("drop_")),
      "TUN device: %s" % (tun[0] if tun else "no tun_stats line"))
drain = [r for r in log if r.get("event") == "drain_end"]
check(len(drain) == 1 and drain[0]["completed"] is True,
      "drain on SIGTERM completed")
sys.exit(1 if problems else 0)
PY
echo "routes and $tun removed on exit"
echo "PASS"
