#!/usr/bin/env bash
# plait-sim's command line: its JSON report, --seed, --pcap (read back by
# plait-wire, and by tshark when it is installed), and its errors.
set -u
sim=sim/plait-sim
wire=dataplane/wire/plait-wire
scenario=sim/scenarios/middleboxes.textproto
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$sim" --scenario "$scenario") || fail "run exited $?"
grep -q '"scenario": "middleboxes"' <<<"$out" || fail "no scenario name in: $out"
[ "$(grep -c '"intact": true' <<<"$out")" -eq 3 ] || fail "three intact flows expected"
again=$("$sim" --scenario "$scenario")
[ "$out" = "$again" ] || fail "same scenario, same seed: different reports"
other=$("$sim" --scenario "$scenario" --seed 99)
[ "$out" != "$other" ] || fail "--seed 99 changed nothing"
grep -q '"seed": 99' <<<"$other" || fail "--seed not reported"

"$sim" --scenario sim/scenarios/reset.textproto --pcap "$tmp/pcap" >/dev/null || fail "--pcap run failed"
ls "$tmp/pcap"/path_client_to_server.pcap "$tmp/pcap"/path_server_to_client.pcap >/dev/null 2>&1 \
  || fail "missing pcap files: $(ls "$tmp/pcap")"
decoded=$("$wire" --check "$tmp/pcap/path_client_to_server.pcap") || fail "plait-wire --check failed on the capture"
grep -q "0 malformed, 0 bad TCP checksums" <<<"$decoded" || fail "capture not clean: $decoded"
grep -q "\[R\]" <<<"$decoded" || fail "the abort's RST is not in the capture"
if command -v tshark >/dev/null 2>&1; then
  n=$(tshark -r "$tmp/pcap/path_client_to_server.pcap" 2>/dev/null | wc -l)
  [ "$n" -gt 100 ] || fail "tshark read $n packets"
  echo "tshark read $n packets"
else
  echo "tshark not installed: the capture was checked with plait-wire only"
fi

# Plait's own MPTCP on the simulated wire, checked by plait-wire: both keys
# seen, the join's token known, both MP_JOIN HMACs and every DSS checksum
# valid (the scenario turns checksums on).
"$sim" --scenario sim/scenarios/mptcp_failover.textproto --pcap "$tmp/mp" >/dev/null \
  || fail "MPTCP run failed"
if command -v mergecap >/dev/null 2>&1; then
  mergecap -F pcap -w "$tmp/mp/lan.pcap" "$tmp/mp/lan_r_to_server.pcap" "$tmp/mp/lan_server_to_r.pcap"
  summary=$("$wire" decode "$tmp/mp/lan.pcap" | tail -n 1)
  grep -q '"join_tokens":{"known":1,"unknown":0}' <<<"$summary" || fail "join token: $summary"
  grep -q '"hmacs":{"valid":2,"invalid":0,"unknown":0}' <<<"$summary" || fail "HMACs: $summary"
  grep -q '"checksums":{"valid":[1-9][0-9]*,"invalid":0' <<<"$summary" || fail "checksums: $summary"
else
  echo "mergecap not installed: checking one direction only"
  "$wire" --check --quiet "$tmp/mp/lan_r_to_server.pcap" >/dev/null || fail "MPTCP capture not clean"
fi

printf 'name: "x"\nstop_s: 1\nnodes { name: "a" kind: HOST }\nflows { name: "f" client: "a" server: "b" bytes: 1 }\n' > "$tmp/bad.textproto"
err=$("$sim" --scenario "$tmp/bad.textproto" 2>&1)
[ $? -eq 2 ] || fail "a bad scenario should exit 2"
grep -q "bad.textproto:4: flows\[0\]" <<<"$err" || fail "error does not name line and field: $err"
"$sim" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no --scenario should exit 2"
"$sim" --scenario "$scenario" --seed x >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad --seed should exit 2"
"$sim" --scenario /nonexistent >/dev/null 2>&1
[ $? -eq 2 ] || fail "a missing file should exit 2"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all plait-sim checks passed"
