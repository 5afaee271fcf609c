#!/bin/bash
# Every DataplaneService RPC, with bad input, against two real plaitd (UDP
# on loopback) carrying traffic; plaitctl against the same daemons; the
# policy across restarts with --state-dir. See api_test.py.
source tests/api/run_python.sh
work=$(mktemp -d -t plait-api.XXXXXX)
trap 'rm -rf "$work"' EXIT
run_api_test tests/api/api_test.py --plaitd dataplane/plaitd \
  --plaitctl cli/plaitctl --work "$work"
