#!/usr/bin/env bash
# Cross-check against tshark: every option variant Plait serializes, written
# as valid packets by tshark_option_corpus, is dissected by tshark with the
# same field values and without malformed-packet or checksum warnings
# (tshark_compare.py; tshark quirks that disagree with RFC 8684 are
# documented there). Skipped where tshark is not installed; ./x setup
# installs it, so CI runs it.
set -u

if ! command -v tshark >/dev/null 2>&1; then
  echo "SKIPPED: tshark not installed"
  exit 0
fi

corpus=tests/interop/tshark_option_corpus
compare=tests/interop/tshark_compare.py
work=${TEST_TMPDIR:-$(mktemp -d)}
pcap=$work/tshark_option_corpus.pcap
tsv=$work/tshark_option_corpus.tsv

"$corpus" "$pcap" "$tsv" || { echo "FAIL: $corpus exited $?"; exit 1; }
# Keep the corpus with the test outputs, for looking at it in Wireshark.
if [ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]; then
  cp "$pcap" "$tsv" "$TEST_UNDECLARED_OUTPUTS_DIR/" 2>/dev/null
fi

python3 "$compare" "$pcap" "$tsv"
status=$?
[ "$status" -eq 0 ] || exit "$status"

# The comparison must be able to fail: one corrupted expectation (the first
# MP_CAPABLE sender key, plus one) has to be reported as a mismatch.
bad=$work/corrupted.tsv
awk -F'\t' -v OFS='\t' '
  !done && $3 == "tcp.options.mptcp.sendkey" { $4 = $4 "1"; done = 1 }
  { print }' "$tsv" >"$bad"
if out=$(python3 "$compare" "$pcap" "$bad"); then
  echo "FAIL: a corrupted expectation was not detected"
  exit 1
fi
if ! grep -q "MISMATCH .*tcp.options.mptcp.sendkey" <<<"$out"; then
  echo "FAIL: the corrupted sendkey was not the mismatch reported: $out"
  exit 1
fi
echo "PASS: a corrupted expectation is detected"
