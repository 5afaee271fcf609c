#!/usr/bin/env bash
# plaitd to plaitd over UDP on loopback, unprivileged, through the proxy
# (plaitd_udp_test.py says what is checked).
set -u
work=${TEST_TMPDIR:-$(mktemp -d)}
exec python3 tests/interop/plaitd_udp_test.py --plaitd dataplane/plaitd \
  --work "$work" "$@"
