#!/bin/bash
# plaitd's /metrics under traffic: promtool check metrics, values against
# the traffic and the API, and a real Prometheus server scraping two plaitd.
# See metrics_test.py.
source tests/api/run_python.sh
work=$(mktemp -d -t plait-metrics.XXXXXX)
trap 'rm -rf "$work"' EXIT
run_api_test tests/api/metrics_test.py --plaitd dataplane/plaitd --work "$work"
