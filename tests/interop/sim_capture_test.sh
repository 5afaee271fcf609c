#!/usr/bin/env bash
# The simulator's MPTCP captures, checked by tshark and by plait-wire: every
# link of each scenario below, captured by plait-sim --pcap, is dissected by
# tshark without MPTCP, malformed-packet or checksum warnings, and
# plait-wire verifies its tokens, HMACs and DSS checksums
# (sim_capture_check.py says exactly what is checked). Skipped where tshark
# is not installed; ./x setup installs it, so CI runs it.
set -u

if ! command -v tshark >/dev/null 2>&1 || ! command -v mergecap >/dev/null 2>&1; then
  echo "SKIPPED: tshark (and its mergecap) not installed"
  exit 0
fi

# Every sim/scenarios/mptcp_*.textproto except these long bulk transfers
# (30 to 60 s at 50 to 100 Mbit/s: 0.7 to 1.2 GB of capture each, minutes of
# tshark); they exercise the same handshakes, joins and mappings as the
# shorter ones below, at a higher rate. A new mptcp_ scenario is checked
# unless it is added here.
too_long=" mptcp_aggregation mptcp_fairness_balia mptcp_fairness_cubic mptcp_fairness_lia mptcp_fairness_olia "

scenarios=()
for s in sim/scenarios/mptcp_*.textproto; do
  name=$(basename "$s" .textproto)
  [[ "$too_long" == *" $name "* ]] && continue
  scenarios+=("$s")
done
[ ${#scenarios[@]} -ge 4 ] || { echo "FAIL: too few scenarios found: ${scenarios[*]}"; exit 1; }

work=${TEST_TMPDIR:-$(mktemp -d)}
exec python3 tests/interop/sim_capture_check.py \
  --plait-sim sim/plait-sim --plait-wire dataplane/wire/plait-wire \
  --work "$work" --self-test "${scenarios[@]}"
