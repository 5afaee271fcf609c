#!/usr/bin/env bash
# plait-wire's command line: what it prints, and its exit codes (0 clean,
# 1 --check found a problem, 2 usage or input errors).
set -u
wire=dataplane/wire/plait-wire
data=dataplane/wire/testdata
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$wire" --check "$data/kernel_mptcp_checksum.pcap") || fail "clean capture: exit $?"
# 15 distinct mappings; two DATA_FIN mappings are repeated and counted once.
grep -q "DSS checksums: 15 correct, 0 wrong" <<<"$out" || fail "DSS summary missing: $out"
grep -q "MP_JOIN SYN/ACK" <<<"$out" || fail "no MP_JOIN SYN/ACK line"

out=$("$wire" --quiet "$data/kernel_mptcp.pcap") || fail "quiet run: exit $?"
[ "$(wc -l <<<"$out")" -eq 3 ] || fail "--quiet should print only the summary: $out"

# A SYN with valid IP and TCP checksums whose MP_CAPABLE has length 5, which
# matches no variant: decoded, the problem named, and --check exits 1.
bad_syn=4500003000004000400626c40a0100010a0100029c40145100000001000000007002faf0af4a00001e05010101010101
out=$("$wire" --check --hex "$bad_syn" 2>/dev/null)
[ $? -eq 1 ] || fail "--check on a malformed option should exit 1"
grep -q "problem: MP_CAPABLE" <<<"$out" || fail "problem not named: $out"

# A pcap (Ethernet) with a record cut by the snap length, a frame too short
# for its link header, and then the bad SYN: the first is reported as a
# truncated capture, the second as not decoded, and decoding goes on.
hex_to_file() { printf '%b' "$(sed 's/../\\x&/g' <<<"$1")" >>"$2"; }
pcap=${TEST_TMPDIR:-/tmp}/plait_wire_test_$$.pcap
rm -f "$pcap"
hex_to_file d4c3b2a1020004000000000000000000ffff000001000000 "$pcap"
eth=0200000000020200000000010800
hex_to_file 0000000000000000140000003e000000 "$pcap"  # 20 of 62 bytes
hex_to_file "${eth}${bad_syn:0:12}" "$pcap"
hex_to_file 000000000000000005000000050000000102030405 "$pcap"
hex_to_file 00000000000000003e0000003e000000 "$pcap"
hex_to_file "${eth}${bad_syn}" "$pcap"
out=$("$wire" "$pcap" 2>&1)
[ $? -eq 0 ] || fail "capture with a truncated record: exit not 0: $out"
grep -q "truncated capture: 20 of 62 bytes" <<<"$out" || fail "no truncated line: $out"
grep -q "not decoded: frame of 5 bytes" <<<"$out" || fail "no undecodable line: $out"
grep -q "problem: MP_CAPABLE" <<<"$out" || fail "decoding stopped early: $out"
grep -q "3 packets: 1 TCP, 0 other, 1 truncated, 1 malformed" <<<"$out" || fail "summary: $out"
rm -f "$pcap"

"$wire" --hex abc >/dev/null 2>&1
[ $? -eq 2 ] || fail "odd hex should exit 2"
"$wire" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown flag should exit 2"
"$wire" /nonexistent/file >/dev/null 2>&1
[ $? -eq 2 ] || fail "missing file should exit 2"
"$wire" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no input should exit 2"
msg=$("$wire" --bogus 2>&1)
grep -q "unknown flag --bogus" <<<"$msg" || fail "error does not name the flag: $msg"

# "show" is the default mode, named.
[ "$("$wire" show --quiet "$data/kernel_mptcp.pcap")" = "$("$wire" --quiet "$data/kernel_mptcp.pcap")" ] \
  || fail "show differs from the default mode"

# decode: one JSON object per record, then the summary.
tmp=${TEST_TMPDIR:-/tmp}/plait_wire_decode_$$
mkdir -p "$tmp"
out=$("$wire" decode "$data/kernel_mptcp.pcap" 2>"$tmp/err") || fail "decode: exit $?"
[ -s "$tmp/err" ] && fail "decode wrote to stderr: $(cat "$tmp/err")"
[ "$(grep -c '^{"frame":' <<<"$out")" -eq 85 ] || fail "decode: expected 85 segment lines: $(wc -l <<<"$out")"
[ "$(grep -vc '^{.*}$' <<<"$out")" -eq 0 ] || fail "decode: a line is not an object"
tail -1 <<<"$out" | grep -q '^{"summary":{' || fail "decode: no summary line last"
grep -q '"hmacs":{"valid":5,"invalid":0,"unknown":0}' <<<"$out" || fail "decode: HMAC summary: $(tail -1 <<<"$out")"
grep -q '"join_tokens":{"known":2,"unknown":0}' <<<"$out" || fail "decode: token summary"
[ "$(grep -c '"subtype":"MP_JOIN","length":12,"variant":"SYN",[^}]*"token_known":true,"connection":0' <<<"$out")" -eq 2 ] \
  || fail "decode: MP_JOIN SYNs not attached to connection 0"
grep -q '"sender_key":"[0-9a-f]\{16\}","sender_token":"[0-9a-f]\{8\}","sender_idsn":"[0-9a-f]\{16\}"' <<<"$out" \
  || fail "decode: MP_CAPABLE keys not shown with tokens and IDSNs"
out=$("$wire" decode "$data/kernel_mptcp_checksum.pcap") || fail "decode checksum capture: exit $?"
grep -q '"checksums":{"valid":15,"invalid":0,"unchecked":0}' <<<"$out" || fail "decode: checksum summary"
[ "$(grep -c '"checksum_valid":false' <<<"$out")" -eq 0 ] || fail "decode: a checksum is invalid"
out=$("$wire" decode --no-summary "$data/kernel_mptcp.pcap") || fail "decode --no-summary: exit $?"
grep -q '"summary"' <<<"$out" && fail "decode --no-summary printed the summary"
"$wire" decode --help | grep -q "hmac_valid" || fail "decode --help"

# decode's input errors: exit 2 and exactly one line on stderr.
expect_error() {  # expect_error WHAT PATTERN ARGS...
  local what=$1 pattern=$2 rc
  shift 2
  "$wire" decode "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 2 ] || fail "decode $what: exit $rc, not 2"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "decode $what: not one line on stderr: $(cat "$tmp/err")"
  grep -q "$pattern" "$tmp/err" || fail "decode $what: error does not say '$pattern': $(cat "$tmp/err")"
}
expect_error "missing file" "cannot read /nonexistent" /nonexistent/file.pcap
expect_error "directory" "cannot read" "$tmp"
printf 'this is not a capture at all\n' >"$tmp/text.pcap"
expect_error "text file" "not a classic pcap" "$tmp/text.pcap"
: >"$tmp/empty.pcap"
expect_error "empty file" "not a classic pcap" "$tmp/empty.pcap"
head -c 1000 "$data/kernel_mptcp.pcap" >"$tmp/cut.pcap"
expect_error "truncated file" "cut.pcap" "$tmp/cut.pcap"
grep -q '^{"frame":' "$tmp/out" || fail "decode truncated file: the whole records before the cut are not printed"
expect_error "no file" "no file"
expect_error "two files" "one file" "$data/kernel_mptcp.pcap" "$data/kernel_mptcp.pcap"
expect_error "unknown flag" "unknown flag --bogus" --bogus "$data/kernel_mptcp.pcap"
rm -rf "$tmp"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all plait-wire checks passed"
