"""plaitd's Prometheus metrics under real traffic.

Two plaitd (a Pair, UDP mode on loopback) with --metrics 127.0.0.1:0 carry
a TCP connection through the client's forward. Then:
  (a) each /metrics passes `promtool check metrics` (exit 0, no output);
  (b) the values agree with the traffic and with the API: bytes sent on
      both client paths, an established connection, two subflows, RTT and
      event-loop-lag histograms with samples, plait_policy_generation 0
      then 1 after a SetPolicy, plait_policy_refusals_total +1 after a
      refused SetPolicy;
  (c) a real Prometheus server scrapes both plaitd every second and
      answers queries about plaitd's metrics.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import grpc

from plait_api import Client, Failure, Pair, check, code_of, pb, policy_pb2, stub

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$')
PROMETHEUS_TIMEOUT = 60  # seconds for Prometheus to see both plaitd
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def fetch(port, path="/metrics", timeout=5):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                timeout=timeout) as r:
        check(r.status == 200, "GET %s on port %d: HTTP %d" % (path, port, r.status))
        return r.read()


def parse(text):
    """{(name, frozenset(labels)): value} from the text exposition format."""
    samples = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        check(m is not None, "unparsable metrics line: %r" % line)
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    """The one sample of NAME whose labels include LABELS (None if none)."""
    want = set(labels.items())
    found = [v for (n, l), v in samples.items() if n == name and want <= l]
    check(len(found) <= 1, "%s%s: %d samples, expected one" % (name, labels, len(found)))
    return found[0] if found else None


def required(samples, name, **labels):
    v = value(samples, name, **labels)
    check(v is not None, "no sample %s%s in /metrics" % (name, labels or ""))
    return v


def scrape(port):
    return parse(fetch(port).decode())


def poll_metric(port, name, predicate, timeout, what, **labels):
    """Scrape until NAME satisfies PREDICATE (the snapshot is refreshed
    every second); the last value either way."""
    deadline = time.time() + timeout
    while True:
        v = value(scrape(port), name, **labels)
        if v is not None and predicate(v):
            return v
        if time.time() >= deadline:
            raise Failure("%s: %s%s is %s after %.0f s" % (what, name, labels or "", v, timeout))
        time.sleep(0.2)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def promtool_check(port, who):
    promtool = shutil.which("promtool")
    check(promtool is not None,
          "promtool not found on PATH (Debian's prometheus package; ./x setup installs it)")
    body = fetch(port)
    r = subprocess.run([promtool, "check", "metrics"], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = (r.stdout + r.stderr).decode(errors="replace")
    check(r.returncode == 0 and not out.strip(),
          "%s: promtool check metrics exited %d with output:\n%s" % (who, r.returncode, out))
    print("promtool check metrics (%s, %d bytes): exit 0, no output" % (who, len(body)))


class Prometheus:
    def __init__(self, work, targets):
        self.binary = shutil.which("prometheus")
        check(self.binary is not None,
              "prometheus not found on PATH (Debian's prometheus package; ./x setup installs it)")
        self.dir = os.path.join(work, "prometheus")
        os.makedirs(self.dir)
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: plaitd\n"
                    "    scrape_interval: 1s\n"
                    "    static_configs:\n"
                    "      - targets: [%s]\n" % ", ".join('"%s"' % t for t in targets))
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.binary, "--config.file=" + self.config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--log.level=info"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)

    def tail(self, lines=20):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure("prometheus exited with %s before it was ready; log:\n%s"
                              % (self.proc.returncode, self.tail()))
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/-/ready" % self.port, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise Failure("prometheus on 127.0.0.1:%d not ready after %d s; log:\n%s"
                      % (self.port, timeout, self.tail()))

    def query(self, expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=5) as r:
            reply = json.loads(r.read().decode())
        check(reply.get("status") == "success", "query %r: %s" % (expr, reply))
        return reply["data"]["result"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def minimal_policy(default="p"):
    return policy_pb2.Policy(profiles=[policy_pb2.Profile(name="p")],
                             default_profile=default)


def check_values(pair, client_port, server_port):
    c = scrape(client_port)
    measured = {}
    for path in ("127.0.0.1", "127.0.0.2"):
        v = required(c, "plait_path_bytes_total", direction="sent", path=path)
        measured["client sent bytes on %s" % path] = v
        check(v > 0, "client: plait_path_bytes_total{direction=\"sent\",path=\"%s\"} is %s, "
              "expected > 0 (a subflow on each path)" % (path, v))
    est = required(c, "plait_connections", state="established")
    measured["client plait_connections{established}"] = est
    check(est >= 1, "client: plait_connections{state=\"established\"} is %s, expected >= 1" % est)
    sub = required(c, "plait_subflows")
    measured["client plait_subflows"] = sub
    check(sub >= 2, "client: plait_subflows is %s, expected >= 2" % sub)
    for path in ("127.0.0.1", "127.0.0.2"):
        v = required(c, "plait_subflow_rtt_seconds_count", path=path)
        measured["client plait_subflow_rtt_seconds_count{%s}" % path] = v
        check(v > 0, "client: plait_subflow_rtt_seconds_count{path=\"%s\"} is %s, expected > 0"
              % (path, v))
    lag = required(c, "plait_event_loop_lag_seconds_count")
    measured["client plait_event_loop_lag_seconds_count"] = lag
    check(lag > 0, "client: plait_event_loop_lag_seconds_count is %s, expected > 0" % lag)

    s = scrape(server_port)
    v = required(s, "plait_path_bytes_total", direction="received", path="127.0.0.3")
    measured["server received bytes on 127.0.0.3"] = v
    check(v > 0, "server: plait_path_bytes_total{direction=\"received\",path=\"127.0.0.3\"} "
          "is %s, expected > 0" % v)
    est = required(s, "plait_connections", state="established")
    measured["server plait_connections{established}"] = est
    check(est >= 1, "server: plait_connections{state=\"established\"} is %s, expected >= 1" % est)

    # The policy: generation 0 (none yet), then 1 after a SetPolicy.
    api = stub(pair.client_api)
    gen = required(c, "plait_policy_generation")
    measured["client plait_policy_generation before SetPolicy"] = gen
    check(gen == 0, "client: plait_policy_generation is %s before any SetPolicy, expected 0" % gen)
    reply = api.SetPolicy(pb.SetPolicyRequest(policy=minimal_policy()), timeout=10)
    check(reply.applied and reply.generation == 1,
          "SetPolicy: applied=%s generation=%d, expected applied generation 1"
          % (reply.applied, reply.generation))
    gen = poll_metric(client_port, "plait_policy_generation", lambda v: v != 0, 5,
                      "after SetPolicy")
    measured["client plait_policy_generation after SetPolicy"] = gen
    check(gen == 1, "client: plait_policy_generation is %s after one SetPolicy, expected 1" % gen)

    # A refused SetPolicy: refusals +1 (exactly), generation unchanged.
    before = required(scrape(client_port), "plait_policy_refusals_total")
    code, details = code_of(api.SetPolicy,
                            pb.SetPolicyRequest(policy=minimal_policy(default="missing")))
    check(code == grpc.StatusCode.INVALID_ARGUMENT,
          "SetPolicy with an unknown default_profile: %s %r, expected INVALID_ARGUMENT"
          % (code, details))
    after = poll_metric(client_port, "plait_policy_refusals_total", lambda v: v != before, 5,
                        "after a refused SetPolicy")
    time.sleep(1.2)  # one more snapshot: it must not keep counting
    after = required(scrape(client_port), "plait_policy_refusals_total")
    measured["client plait_policy_refusals_total before/after refusal"] = "%s/%s" % (before, after)
    check(after == before + 1, "client: plait_policy_refusals_total went from %s to %s after "
          "one refused SetPolicy, expected +1" % (before, after))
    gen = required(scrape(client_port), "plait_policy_generation")
    check(gen == 1, "client: plait_policy_generation is %s after a refused SetPolicy, "
          "expected 1 still" % gen)
    return measured


def check_prometheus(work, client_port, server_port):
    targets = ["127.0.0.1:%d" % client_port, "127.0.0.1:%d" % server_port]
    prom = Prometheus(work, targets)
    measured = {}
    try:
        prom.wait_ready()
        print("prometheus ready on 127.0.0.1:%d, scraping %s" % (prom.port, ", ".join(targets)))
        deadline = time.time() + PROMETHEUS_TIMEOUT
        last = {}
        while True:
            up = {r["metric"].get("instance"): float(r["value"][1])
                  for r in prom.query('up{job="plaitd"}')}
            rate = prom.query('sum(rate(plait_path_bytes_total{direction="sent"}[5s]))')
            subflows = {r["metric"].get("instance"): float(r["value"][1])
                        for r in prom.query('plait_subflows{job="plaitd"}')}
            last = {"up": up, "rate": rate, "subflows": subflows}
            ok = (all(up.get(t) == 1 for t in targets)
                  and rate and float(rate[0]["value"][1]) > 0
                  and subflows.get(targets[0], 0) >= 2)
            if ok:
                break
            if prom.proc.poll() is not None:
                raise Failure("prometheus exited with %s; log:\n%s"
                              % (prom.proc.returncode, prom.tail()))
            if time.time() >= deadline:
                raise Failure(
                    "prometheus did not see plaitd within %d s: expected up{job=\"plaitd\"} "
                    "== 1 for %s, sum(rate(plait_path_bytes_total{direction=\"sent\"}[5s])) > 0 "
                    "and plait_subflows >= 2 on the client; last answers: %s; "
                    "targets: %s; log:\n%s"
                    % (PROMETHEUS_TIMEOUT, targets, last, fetch(prom.port, "/api/v1/targets").decode()[:2000],
                       prom.tail()))
            time.sleep(0.5)
        measured["prometheus up{job=plaitd}"] = up
        measured["prometheus sum(rate(plait_path_bytes_total{sent}[5s])) B/s"] = \
            float(rate[0]["value"][1])
        measured["prometheus plait_subflows"] = subflows
        # A histogram through PromQL too.
        lag = prom.query('sum(plait_event_loop_lag_seconds_count{job="plaitd"})')
        check(lag and float(lag[0]["value"][1]) > 0,
              "prometheus: sum(plait_event_loop_lag_seconds_count) is %s, expected > 0" % lag)
        measured["prometheus sum(plait_event_loop_lag_seconds_count)"] = float(lag[0]["value"][1])
    finally:
        prom.stop()
    return measured


def is_counter(name):
    return name.endswith(("_total", "_count", "_sum", "_bucket"))


def check_after_close(client, client_port):
    """The connection closes: gauges go back to 0 and no counter (totals of
    live plus closed connections) goes down."""
    before = scrape(client_port)
    client.close()
    deadline = time.time() + 15
    while True:
        after = scrape(client_port)
        est = required(after, "plait_connections", state="established")
        sub = required(after, "plait_subflows")
        if est == 0 and sub == 0:
            break
        check(time.time() < deadline,
              "15 s after the client closed: plait_connections{state=\"established\"} %s, "
              "plait_subflows %s, expected 0 and 0" % (est, sub))
        time.sleep(0.2)
    time.sleep(1.2)  # one snapshot more, taken with the connection gone
    after = scrape(client_port)
    decreased = ["%s%s: %s -> %s" % (n, dict(l), v, after.get((n, l)))
                 for (n, l), v in before.items()
                 if n.startswith("plait_") and is_counter(n)
                 and (after.get((n, l)) is None or after[(n, l)] < v)]
    check(not decreased, "counters went down (or vanished) after the connection closed: %s"
          % "; ".join(decreased))
    print("after close: established 0, subflows 0, %d plait counters none lower; "
          "scheduler decisions %s -> %s"
          % (sum(1 for (n, _) in before if n.startswith("plait_") and is_counter(n)),
             value(before, "plait_scheduler_decisions_total", scheduler="minrtt"),
             value(after, "plait_scheduler_decisions_total", scheduler="minrtt")))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plaitd", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--traffic-seconds", type=float, default=3)
    args = parser.parse_args()

    # Before any daemon: a missing tool fails at once.
    check(shutil.which("promtool") is not None,
          "promtool not found on PATH (Debian's prometheus package; ./x setup installs it)")
    check(shutil.which("prometheus") is not None,
          "prometheus not found on PATH (Debian's prometheus package; ./x setup installs it)")

    pair = Pair(args.plaitd, args.work,
                client_extra=["--metrics", "127.0.0.1:0"],
                server_extra=["--metrics", "127.0.0.1:0"])
    client = None
    try:
        client_port = int(pair.client.wait_for("metrics")[0]["port"])
        server_port = int(pair.server.wait_for("metrics")[0]["port"])
        check(client_port > 0 and server_port > 0,
              "metrics ports from the logs: %d, %d" % (client_port, server_port))
        print("metrics: client on %d, server on %d" % (client_port, server_port))

        client = Client(pair.forward_port)
        time.sleep(args.traffic_seconds)
        check(client.error is None, "traffic: %s" % client.error)
        check(client.sent > 0 and client.received > 0,
              "traffic: sent %d received %d bytes through the forward"
              % (client.sent, client.received))
        print("traffic: %d bytes sent, %d received through the forward in %.0f s"
              % (client.sent, client.received, args.traffic_seconds))

        promtool_check(client_port, "client")
        promtool_check(server_port, "server")

        measured = check_values(pair, client_port, server_port)
        measured.update(check_prometheus(args.work, client_port, server_port))
        check(client.error is None, "traffic: %s" % client.error)
        for k, v in measured.items():
            print("measured: %s = %s" % (k, v))
        check_after_close(client, client_port)
    except Failure:
        for d in (pair.client, pair.server):
            print("--- %s log tail:\n%s" % (d.name, d.tail()), file=sys.stderr)
        raise
    finally:
        if client is not None:
            client.close()
        codes = pair.stop()
    check(codes == (0, 0), "plaitd exit codes %s, expected (0, 0)" % (codes,))
    print("PASS")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
    except grpc.RpcError as e:
        print("FAIL: a call that must succeed failed: %s %r" % (e.code(), e.details()),
              file=sys.stderr)
        sys.exit(1)
