#!/usr/bin/env bash
# Cross-check of Plait's decoder with the Linux kernel's MPTCP and tshark.
#
# Builds two network namespaces joined by two veth paths, lets the kernel run
# an MPTCP connection between them (the server announces its second address
# with ADD_ADDR, the client joins it and opens a second subflow: two MP_JOINs)
# and captures it (dataplane/wire/testdata/capture_kernel_mptcp.sh), once
# without and once with DSS checksums (net.mptcp.checksum_enabled=1). Each
# capture is decoded with `plait-wire decode` and checked by kernel_compare.py:
# every option parses, the MP_JOIN tokens are those of the MP_CAPABLE keys,
# every MP_JOIN and ADD_ADDR HMAC and every DSS checksum verifies, and the
# field values agree with tshark's dissection, frame by frame. Finally it
# checks that the comparison can fail: a capture with one HMAC bit flipped,
# and decoder output with one DSN changed, must both be rejected.
#
# Needs root, `ip netns`, a kernel with MPTCP, tshark, editcap, ethtool and
# python3; without them it prints "SKIPPED: <reason>" and passes. Namespaces
# are removed on any exit.
set -u
export PATH="$PATH:/usr/sbin:/sbin"

skip() {
  echo "SKIPPED: $*"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "not root: the kernel cross-check needs network namespaces (run ./x test as root)"
for tool in ip tshark editcap ethtool python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (./x setup installs it)"
done
probe=plaitkprobe$$
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
if ! ip netns exec "$probe" sysctl -n net.mptcp.enabled >/dev/null 2>&1; then
  ip netns del "$probe" 2>/dev/null
  skip "the kernel has no MPTCP (net.mptcp.enabled missing)"
fi
ip netns del "$probe"

wire=dataplane/wire/plait-wire
capture=dataplane/wire/testdata/capture_kernel_mptcp.sh
compare=tests/interop/kernel_compare.py
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/kernel_capture.XXXXXX")
prefix=plaitkt$$
cleanup() {
  local ns
  for ns in "${prefix}pA" "${prefix}pB" "${prefix}cA" "${prefix}cB"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

start=$(date +%s)
for mode in plain checksum; do
  pcap=$tmp/$mode.pcap
  arg=
  flag=
  [ "$mode" = checksum ] && arg=checksum && flag=--checksum
  echo "== capturing kernel MPTCP ($mode)"
  if ! PLAIT_NETNS_PREFIX="$prefix${mode:0:1}" timeout 90 bash "$capture" "$pcap" $arg >"$tmp/capture.log" 2>&1; then
    cat "$tmp/capture.log"
    fail "$mode: the capture failed"
    continue
  fi
  "$wire" decode "$pcap" >"$tmp/$mode.jsonl" || {
    fail "$mode: plait-wire decode exited $?"
    continue
  }
  python3 "$compare" compare --pcap "$pcap" --decoded "$tmp/$mode.jsonl" $flag || fail "$mode: cross-check"
done

# The cross-check must be able to fail: a flipped HMAC bit in the capture
# (TCP checksum fixed up), and a wrong DSN in the decoder's output.
if [ -s "$tmp/plain.jsonl" ]; then
  echo "== self-check: the cross-check rejects wrong values"
  python3 "$compare" flip-join-hmac "$tmp/plain.pcap" "$tmp/flipped.pcap" || fail "flip-join-hmac"
  "$wire" decode "$tmp/flipped.pcap" >"$tmp/flipped.jsonl"
  out=$(python3 "$compare" compare --pcap "$tmp/flipped.pcap" --decoded "$tmp/flipped.jsonl")
  [ $? -eq 1 ] || fail "self-check: a flipped MP_JOIN HMAC bit was not caught"
  grep -q "SYN/ACK HMAC: hmac_valid False" <<<"$out" || fail "self-check: no HMAC failure reported: $out"
  python3 - "$tmp/plain.jsonl" "$tmp/wrong.jsonl" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'"dsn":"([0-9a-f]+)"', text)
wrong = format(int(m.group(1), 16) ^ 1, "0%dx" % len(m.group(1)))
open(sys.argv[2], "w").write(text[:m.start(1)] + wrong + text[m.end(1):])
EOF
  out=$(python3 "$compare" compare --pcap "$tmp/plain.pcap" --decoded "$tmp/wrong.jsonl")
  [ $? -eq 1 ] || fail "self-check: a wrong DSN was not caught"
  grep -q ": dsn: tshark" <<<"$out" || fail "self-check: no DSN mismatch reported: $out"
fi
echo "took $(($(date +%s) - start)) s"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "kernel cross-check passed"
