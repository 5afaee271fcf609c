#!/usr/bin/env bash
# plaitd --transparent (sidecar mode) against the Linux kernel's MPTCP.
#
#   namespace A (LAB_A)                          namespace B (LAB_B)
#   client app -> 10.1.0.2:5201, redirected by
#     iptables -t nat OUTPUT ... REDIRECT --to-ports 15001
#   plaitd --mode=tun --transparent 127.0.0.1:15001,
#     paths 10.1.0.11, 10.2.0.11 ------ 2 veth paths ------
#                                          kernel MPTCP server 10.1.0.2:5201
#                                          (kernel_mptcp_peer.py)
#
# The application connects to the server's address directly; the nat rule
# sends the connection to plaitd's listener, which reads its original
# destination (SO_ORIGINAL_DST) and carries it over MPTCP there. plaitd's own
# subflows leave through its TUN device (not the kernel's TCP), so the
# OUTPUT rule never catches them. 16 MiB (PLAITD_TRANSPARENT_MIB) go each way
# at once. Checked: equal SHA-256 both ways; the kernel lists a subflow from
# each plaitd path address; plaitd's close line shows two subflows; a
# connection straight to the listener (not redirected) is reset and logged,
# never forwarded to itself; SIGTERM drains and plaitd exits 0.
#
# Needs root, network namespaces, /dev/net/tun, kernel MPTCP, iptables (nat)
# and python3; without them it prints "SKIPPED: <reason>" and passes. The
# namespaces (with their iptables rules) and processes go on any exit.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

skip() {
  echo "SKIPPED: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root: plaitd --mode=tun and iptables need root (run ./x test as root)"
for tool in ip iptables python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (./x setup installs it)"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
probe=plaittpprobe$$
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
if ! ip netns exec "$probe" sysctl -n net.mptcp.enabled >/dev/null 2>&1; then
  ip netns del "$probe" 2>/dev/null
  skip "the kernel has no MPTCP (net.mptcp.enabled missing)"
fi
if ! ip netns exec "$probe" iptables -t nat -A OUTPUT -p tcp --dport 1 -j REDIRECT --to-ports 2 >/dev/null 2>&1; then
  ip netns del "$probe" 2>/dev/null
  skip "iptables cannot add a nat REDIRECT rule (no nf_nat/conntrack?)"
fi
ip netns del "$probe"

lab=deploy/lab/lab.sh
plaitd=$PWD/dataplane/plaitd
peer=tests/interop/kernel_mptcp_peer.py
export LAB_A=plait-tp-a$$ LAB_B=plait-tp-b$$
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/plaitd_transparent.XXXXXX")
mib=${PLAITD_TRANSPARENT_MIB:-16}
bytes=$((mib << 20))
tun=plaittp0
listen_port=15001
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
# The sidecar rule: the application's connections to the server go to
# plaitd's listener instead (the namespace, and the rule, go with lab.sh down).
inA iptables -t nat -A OUTPUT -p tcp -d 10.1.0.2 --dport 5201 \
  -j REDIRECT --to-ports "$listen_port" || fail "iptables REDIRECT rule"

ip netns exec "$LAB_B" timeout 300 python3 "$peer" --port 5201 --bytes "$bytes" \
  --report "$tmp/kernel.json" >"$tmp/peer.log" 2>&1 &
peer_pid=$!
pids+=("$peer_pid")
for _ in $(seq 50); do grep -q listening "$tmp/peer.log" && break; sleep 0.1; done
grep -q listening "$tmp/peer.log" || fail "the kernel MPTCP server did not start"

ip netns exec "$LAB_A" "$plaitd" --mode=tun --tun "$tun" --path 10.1.0.11 --path 10.2.0.11 --api none \
  --transparent "127.0.0.1:$listen_port" --log-format=json \
  --drain-timeout 10 2>"$tmp/plaitd.log" &
plaitd_pid=$!
pids+=("$plaitd_pid")
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/plaitd.log" && break; sleep 0.1; done
grep -q '"event":"started"' "$tmp/plaitd.log" || fail "plaitd did not start"
grep -q '"event":"transparent"' "$tmp/plaitd.log" || fail "no transparent line in plaitd's log"
echo "plaitd up: transparent listener 127.0.0.1:$listen_port, iptables redirects 10.1.0.2:5201 to it"

# Not redirected: straight to the listener. plaitd must refuse it (reset or
# close, nothing forwarded) and say why.
inA timeout 20 python3 - "$listen_port" <<'PY' || fail "the unredirected connection was not refused"
import socket, sys
try:  # the reset may come before connect() returns
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    data = s.recv(1)
except ConnectionResetError:
    data = b""
sys.exit(0 if data == b"" else 1)
PY
for _ in $(seq 50); do grep -q 'is this listener' "$tmp/plaitd.log" && break; sleep 0.1; done
grep -q 'is this listener' "$tmp/plaitd.log" || fail "no log line for the refused connection"
echo "ok   a connection straight to the listener is refused: $(grep -o 'refused[^"]*' "$tmp/plaitd.log" | head -1)"

# The application: MIB MiB each way at once, to the server's own address.
inA timeout 300 python3 - "$bytes" "$tmp/client.json" <<'PY' || fail "the client failed"
import hashlib, json, os, socket, sys, threading
total, report = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("10.1.0.2", 5201), timeout=240)
sent = hashlib.sha256()
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
wait "$peer_pid" || fail "the kernel peer exited $?"

for _ in $(seq 100); do grep -q '"event":"conn_close"' "$tmp/plaitd.log" && break; sleep 0.1; done
kill -TERM "$plaitd_pid"
rc=0
timeout 20 tail --pid="$plaitd_pid" -f /dev/null || fail "plaitd did not exit within 20 s of SIGTERM"
wait "$plaitd_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "plaitd exited $rc after SIGTERM"

python3 - "$tmp" "$bytes" <<'PY' || fail "checks failed"
import json, sys
tmp, total = sys.argv[1], int(sys.argv[2])
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
peers = sorted({remote.rsplit(":", 1)[0] for _, remote in kernel["subflows"]})
check(peers == ["10.1.0.11", "10.2.0.11"],
      "the kernel's subflows: %s" % kernel["subflows"])
closes = [r for r in log if r.get("event") == "conn_close"]
check(len(closes) == 1, "one connection closed in plaitd's log (the refused "
      "one never became a connection)")
if closes:
    c = closes[0]
    check(c["reason"] == "normal" and not c["fallback"] and
          c["bytes_to_mptcp"] == total and c["bytes_to_socket"] == total and
          c["subflows"] == 2,
          "plaitd's close: reason %s, fallback %s, %d bytes to MPTCP, %d to "
          "the socket, %d subflows" % (c["reason"], c["fallback"],
                                       c["bytes_to_mptcp"],
                                       c["bytes_to_socket"], c["subflows"]))
drain = [r for r in log if r.get("event") == "drain_end"]
check(len(drain) == 1 and drain[0]["completed"] is True,
      "drain on SIGTERM completed")
sys.exit(1 if problems else 0)
PY
echo "PASS"
