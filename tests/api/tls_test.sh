#!/bin/bash
# plaitd's API over TCP with TLS and mTLS (openssl-made certificates),
# --api-mutations-need-mtls, health and reflection over TLS, and the flags
# plaitd must refuse. See tls_test.py.
source tests/api/run_python.sh
work=$(mktemp -d -t plait-tls.XXXXXX)
trap 'rm -rf "$work"' EXIT
run_api_test tests/api/tls_test.py --plaitd dataplane/plaitd --work "$work"
