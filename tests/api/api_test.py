#!/usr/bin/env python3
"""Every DataplaneService RPC against two real plaitd (UDP mode on
loopback) carrying traffic, from a Python client generated from the .proto
files: the API is usable outside C++.

Checks, in order:
  * GetStatus; health checking and server reflection on the same socket.
  * ValidatePolicy / SetPolicy (dry run, applied, refused with the field
    named, the old policy still in force) / GetPolicy; policy events.
  * ListConnections (pages, filters) and GetConnection on live traffic;
    NOT_FOUND and INVALID_ARGUMENT.
  * SetScheduler on a live connection changes how its bytes spread over
    its subflows (measured: subflow bytes per application byte, minrtt
    vs redundant); SetSubflowPriority backup makes a subflow carry
    nothing; SetCongestionControl; RemoveSubflow / AddSubflow with the
    limit (FAILED_PRECONDITION); AnnounceAddress / WithdrawAddress seen
    by the peer as events; CloseConnection graceful and fast.
  * WatchEvents with filters.
  * 200 concurrent API calls while 50 connections carry traffic: no
    errors, event-loop lag under 50 ms.
  * plaitctl against the same daemon (status, conns, --json, errors).
  * Restart with --state-dir: the policy is back; a corrupt state file is
    reported, set aside, and the daemon starts with its defaults.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
import traceback

import grpc

import plait_api as api
from plait_api import check, pb
from proto.plait.v1 import policy_pb2
from google.protobuf import text_format
from grpc_proto.grpc.health.v1 import health_pb2, health_pb2_grpc
from grpc_proto.grpc.reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SC = grpc.StatusCode


def policy_from_text(text):
    return text_format.Parse(text, policy_pb2.Policy())


BULK_POLICY = """
version: "rev-1"
profiles { name: "bulk" scheduler { name: "roundrobin" } congestion_control { name: "olia" } }
rules { name: "to-server" match { destination_ports { first: 5201 } } profile: "bulk" }
"""


def connection(stub, conn_id):
    return stub.GetConnection(pb.GetConnectionRequest(id=conn_id), timeout=10)


def subflow_bytes(conn):
    return {sf.id: sf.bytes_sent for sf in conn.subflows}


def measure_spread(stub, conn_id, seconds):
    """Subflow payload bytes sent per application byte sent, and each
    subflow's share, over `seconds` of a live upload."""
    before = connection(stub, conn_id)
    time.sleep(seconds)
    after = connection(stub, conn_id)
    app = after.bytes_sent - before.bytes_sent
    b0, b1 = subflow_bytes(before), subflow_bytes(after)
    per_subflow = {i: b1[i] - b0.get(i, 0) for i in b1}
    check(app > 0, "no application bytes moved in %.1f s" % seconds)
    return sum(per_subflow.values()) / app, per_subflow, app


def test_status_health_reflection(pair, stub):
    status = stub.GetStatus(pb.GetStatusRequest(), timeout=10)
    check(status.io_mode == "udp", "io_mode %r" % status.io_mode)
    check([p.address for p in status.paths] == ["127.0.0.1", "127.0.0.2"],
          "paths %s" % [p.address for p in status.paths])
    check(all(p.state == "up" and p.via for p in status.paths), "path states %s" % status.paths)
    check(status.version and status.uptime_seconds > 0, "version/uptime %s" % status)
    check(any(l.startswith("forward:127.0.0.1:") for l in status.listeners),
          "listeners %s" % list(status.listeners))
    check(dict(status.labels) == {"zone": "edge"}, "labels %s" % dict(status.labels))
    check(status.scheduler == "minrtt" and status.congestion_control == "cubic",
          "defaults %s/%s" % (status.scheduler, status.congestion_control))
    health = health_pb2_grpc.HealthStub(api.channel(pair.client_api))
    for service in ("", "plait.v1.DataplaneService"):
        r = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        check(r.status == health_pb2.HealthCheckResponse.SERVING, "health %r: %s" % (service, r))
    code, _ = api.code_of(health.Check, health_pb2.HealthCheckRequest(service="nope"))
    check(code == SC.NOT_FOUND, "health of an unknown service: %s" % code)
    reflection = reflection_pb2_grpc.ServerReflectionStub(api.channel(pair.client_api))
    responses = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
    names = [s.name for r in responses for s in r.list_services_response.service]
    check("plait.v1.DataplaneService" in names and "grpc.health.v1.Health" in names,
          "reflection lists %s" % names)
    print("status, health, reflection: ok (services %s)" % names)


def test_policy(pair, stub, events):
    good = policy_from_text(BULK_POLICY)
    stub.ValidatePolicy(pb.ValidatePolicyRequest(policy=good), timeout=10)
    bad = policy_from_text(BULK_POLICY)
    bad.rules[0].match.destination_prefixes.append("10.0.0.0/33")
    code, message = api.code_of(stub.ValidatePolicy, pb.ValidatePolicyRequest(policy=bad))
    check(code == SC.INVALID_ARGUMENT, "ValidatePolicy(bad): %s" % code)
    check(message.startswith("policy.rules[0].match.destination_prefixes[0]:")
          and "33" in message, "the error names the field: %r" % message)
    dry = stub.SetPolicy(pb.SetPolicyRequest(policy=good, dry_run=True), timeout=10)
    check(not dry.applied, "dry run applied")
    check(stub.GetPolicy(pb.GetPolicyRequest(), timeout=10).generation == 0,
          "dry run changed the generation")
    applied = stub.SetPolicy(pb.SetPolicyRequest(policy=good), timeout=10)
    check(applied.applied and applied.generation == 1 and applied.version == "rev-1",
          "SetPolicy: %s" % applied)
    code, message = api.code_of(stub.SetPolicy, pb.SetPolicyRequest(policy=bad))
    check(code == SC.INVALID_ARGUMENT and "destination_prefixes[0]" in message,
          "SetPolicy(bad): %s %r" % (code, message))
    state = stub.GetPolicy(pb.GetPolicyRequest(), timeout=10)
    check(state.generation == 1 and state.policy.version == "rev-1"
          and state.policy.profiles[0].name == "bulk",
          "the refused policy replaced the old one: %s" % state)
    check("destination_prefixes[0]" in state.last_refusal, "last_refusal %r" % state.last_refusal)
    status = stub.GetStatus(pb.GetStatusRequest(), timeout=10)
    check(status.policy_version == "rev-1" and status.policy_generation == 1,
          "status policy %s %d" % (status.policy_version, status.policy_generation))
    got = events.wait_types([pb.EVENT_TYPE_POLICY_APPLIED, pb.EVENT_TYPE_POLICY_REFUSED])
    check(got[0].policy_version == "rev-1", "policy applied event %s" % got[0])
    check("destination_prefixes" in got[1].reason, "policy refused event %s" % got[1])
    print("policy: validate, dry run, apply, refuse (old one stays), events: ok")


class EventCollector:
    """A WatchEvents stream read in the background."""

    def __init__(self, address, **request):
        self.stub = api.stub(address)
        self.call = self.stub.WatchEvents(pb.WatchEventsRequest(**request))
        self.events = []
        self.lock = threading.Lock()
        self.error = None
        threading.Thread(target=self._run, daemon=True).start()
        time.sleep(0.3)  # the stream is open before anything happens

    def _run(self):
        try:
            for event in self.call:
                with self.lock:
                    self.events.append(event)
        except grpc.RpcError as e:
            if e.code() != SC.CANCELLED:
                self.error = e

    def of_type(self, t):
        with self.lock:
            return [e for e in self.events if e.type == t]

    def wait_types(self, types, timeout=10):
        """The first event of each type, waiting for all of them."""
        def found():
            out = []
            for t in types:
                es = self.of_type(t)
                if not es:
                    return None
                out.append(es[0])
            return out
        return api.wait_until(found, timeout,
                              "events %s" % [pb.EventType.Name(t) for t in types])

    def close(self):
        self.call.cancel()


def two_subflows(stub, conn_id):
    def ready():
        c = connection(stub, conn_id)
        return c if len([s for s in c.subflows if s.state == "ESTABLISHED"]) >= 2 else None
    return api.wait_until(ready, 10, "connection %d's second subflow" % conn_id)


def test_connections(pair, stub):
    clients = [api.Client(pair.forward_port) for _ in range(2)]
    def listed():
        r = stub.ListConnections(pb.ListConnectionsRequest(), timeout=10)
        return r if len([c for c in r.connections
                         if c.state == pb.CONNECTION_STATE_ESTABLISHED]) >= 2 else None
    r = api.wait_until(listed, 10, "two established connections")
    ids = [c.id for c in r.connections]
    first = r.connections[0]
    check(first.kind == "forward" and first.listener.startswith("forward:"),
          "kind/listener %s %s" % (first.kind, first.listener))
    check(first.rule == "to-server" and first.profile == "bulk"
          and first.scheduler == "roundrobin" and first.congestion_control == "olia",
          "the policy chose the settings: rule %r profile %r %s %s" % (
              first.rule, first.profile, first.scheduler, first.congestion_control))
    # Pages of one.
    page1 = stub.ListConnections(pb.ListConnectionsRequest(page_size=1), timeout=10)
    check(len(page1.connections) == 1 and page1.next_page_token, "page 1 %s" % page1)
    page2 = stub.ListConnections(pb.ListConnectionsRequest(
        page_size=1, page_token=page1.next_page_token), timeout=10)
    check(len(page2.connections) == 1 and page2.connections[0].id != page1.connections[0].id,
          "page 2 %s" % page2)
    # Filters.
    none = stub.ListConnections(pb.ListConnectionsRequest(remote_prefix="10.0.0.0/8"), timeout=10)
    check(len(none.connections) == 0, "remote_prefix 10/8 matched %d" % len(none.connections))
    some = stub.ListConnections(pb.ListConnectionsRequest(remote_prefix="127.0.0.0/24",
                                                          scheduler="roundrobin"), timeout=10)
    check(len(some.connections) >= 2, "remote_prefix 127/24 matched %d" % len(some.connections))
    for request, field in ((pb.ListConnectionsRequest(page_size=5000), "page_size"),
                           (pb.ListConnectionsRequest(page_token="x"), "page_token"),
                           (pb.ListConnectionsRequest(remote_prefix="10.1.2.3/8"), "remote_prefix")):
        code, message = api.code_of(stub.ListConnections, request)
        check(code == SC.INVALID_ARGUMENT and message.startswith(field),
              "ListConnections bad %s: %s %r" % (field, code, message))
    code, message = api.code_of(stub.GetConnection, pb.GetConnectionRequest(id=999999))
    check(code == SC.NOT_FOUND, "GetConnection(unknown): %s" % code)
    code, message = api.code_of(stub.GetConnection, pb.GetConnectionRequest(id=0))
    check(code == SC.INVALID_ARGUMENT and message.startswith("id:"), "GetConnection(0): %r" % message)
    c = two_subflows(stub, ids[0])
    check(all(s.rtt_seconds > 0 and s.cwnd_bytes > 0 for s in c.subflows),
          "subflow rtt/cwnd %s" % c.subflows)
    check(c.subflows[0].local_address.startswith("127.0.0.1:")
          and c.subflows[1].local_address.startswith("127.0.0.2:"),
          "subflow addresses %s" % [s.local_address for s in c.subflows])
    print("connections: list (pages, filters), get, errors: ok; ids %s" % ids)
    return clients, ids


def test_scheduler_and_priority(pair, stub, conn_id, client):
    # Application-limited traffic (2 MB/s each way): no subflow's window is
    # ever full, so the scheduler alone decides where each byte goes. At
    # full speed a redundant copy is skipped whenever a window is full and
    # the ratio wanders (1.28 to 1.90 seen).
    client.rate = 2000000
    pair.source.rate = 2000000
    time.sleep(1)
    code, message = api.code_of(stub.SetScheduler, pb.SetSchedulerRequest(id=conn_id, name="fastest"))
    check(code == SC.INVALID_ARGUMENT and message.startswith("name:"), "bad scheduler: %r" % message)
    code, _ = api.code_of(stub.SetScheduler, pb.SetSchedulerRequest(id=424242, name="minrtt"))
    check(code == SC.NOT_FOUND, "scheduler of an unknown connection: %s" % code)
    c = stub.SetScheduler(pb.SetSchedulerRequest(id=conn_id, name="minrtt"), timeout=10)
    check(c.scheduler == "minrtt", "scheduler now %r" % c.scheduler)
    minrtt_ratio, minrtt_split, _ = measure_spread(stub, conn_id, 2.0)
    c = stub.SetScheduler(pb.SetSchedulerRequest(id=conn_id, name="redundant"), timeout=10)
    check(c.scheduler == "redundant", "scheduler now %r" % c.scheduler)
    time.sleep(0.5)
    redundant_ratio, redundant_split, _ = measure_spread(stub, conn_id, 2.0)
    print("scheduler switch on a live connection: subflow bytes per application byte "
          "minrtt %.2f %s, redundant %.2f %s" % (minrtt_ratio, minrtt_split,
                                                 redundant_ratio, redundant_split))
    check(minrtt_ratio < 1.1, "minrtt sends each byte once (%.2f)" % minrtt_ratio)
    check(redundant_ratio > 1.8, "redundant sends each byte on both subflows (%.2f)" % redundant_ratio)
    # MP_PRIO: the join becomes a backup and carries nothing.
    stub.SetScheduler(pb.SetSchedulerRequest(id=conn_id, name="roundrobin"), timeout=10)
    join = [s for s in connection(stub, conn_id).subflows if s.id != 0][0]
    code, _ = api.code_of(stub.SetSubflowPriority,
                          pb.SetSubflowPriorityRequest(id=conn_id, subflow_id=77, backup=True))
    check(code == SC.NOT_FOUND, "priority of an unknown subflow: %s" % code)
    c = stub.SetSubflowPriority(pb.SetSubflowPriorityRequest(
        id=conn_id, subflow_id=join.id, backup=True), timeout=10)
    check([s.backup for s in c.subflows if s.id == join.id] == [True], "backup flag %s" % c.subflows)
    time.sleep(0.5)
    _, backup_split, app = measure_spread(stub, conn_id, 2.0)
    print("MP_PRIO backup on subflow %d: bytes per subflow over 2 s %s (application %d)" % (
        join.id, backup_split, app))
    check(backup_split[join.id] < 0.01 * app,
          "the backup subflow carried %d of %d bytes" % (backup_split[join.id], app))
    check(backup_split[0] > 0.9 * app, "the regular subflow carried the rest")
    stub.SetSubflowPriority(pb.SetSubflowPriorityRequest(
        id=conn_id, subflow_id=join.id, backup=False), timeout=10)
    _, regular_split, app = measure_spread(stub, conn_id, 2.0)
    check(regular_split[join.id] > 0.1 * app,
          "back to regular, subflow %d carries again (%s)" % (join.id, regular_split))
    # Congestion control.
    code, message = api.code_of(stub.SetCongestionControl,
                                pb.SetCongestionControlRequest(id=conn_id, name="bbr9"))
    check(code == SC.INVALID_ARGUMENT and message.startswith("name:"), "bad cc: %r" % message)
    c = stub.SetCongestionControl(pb.SetCongestionControlRequest(id=conn_id, name="cubic"), timeout=10)
    check(c.congestion_control == "cubic", "cc now %r" % c.congestion_control)
    client.rate = None
    pair.source.rate = None
    return {"minrtt": minrtt_ratio, "redundant": redundant_ratio}


def test_subflows_and_addresses(pair, stub, conn_id, server_events):
    c = connection(stub, conn_id)
    join = [s for s in c.subflows if s.id != 0][0]
    # The limit is 2 subflows besides the initial one (Linux's
    # max_subflows): one more fits, a third is refused.
    stub.AddSubflow(pb.AddSubflowRequest(id=conn_id, local_address="127.0.0.2"), timeout=10)
    api.wait_until(lambda: len([s for s in connection(stub, conn_id).subflows
                                if s.state == "ESTABLISHED"]) == 3, 10, "a third subflow")
    code, limit_message = api.code_of(stub.AddSubflow, pb.AddSubflowRequest(
        id=conn_id, local_address="127.0.0.1"))
    check(code == SC.FAILED_PRECONDITION,
          "AddSubflow beyond the limit: %s %r" % (code, limit_message))
    for request, field in ((pb.AddSubflowRequest(id=conn_id, local_address="banana"), "local_address"),
                           (pb.AddSubflowRequest(id=conn_id, local_address="10.9.9.9"), "local_address"),
                           (pb.AddSubflowRequest(id=conn_id), "local_address"),
                           (pb.AddSubflowRequest(id=conn_id, local_address="127.0.0.2",
                                                 remote_address_id=300), "remote_address_id")):
        code, message = api.code_of(stub.AddSubflow, request)
        check(code == SC.INVALID_ARGUMENT and message.startswith(field),
              "AddSubflow bad %s: %s %r" % (field, code, message))
    extra = [s for s in connection(stub, conn_id).subflows if s.id not in (0, join.id)][0]
    for sf in (join, extra):
        stub.RemoveSubflow(pb.RemoveSubflowRequest(id=conn_id, subflow_id=sf.id), timeout=10)
    # Both ends closed them (the peer closes its side an RTO after our FIN,
    # and counts them against its limit until then): TIME-WAIT here.
    api.wait_until(lambda: all(s.state in ("TIME-WAIT", "CLOSED")
                               for s in connection(stub, conn_id).subflows
                               if s.id in (join.id, extra.id)), 10, "the subflows to close")
    code, _ = api.code_of(stub.RemoveSubflow, pb.RemoveSubflowRequest(id=conn_id, subflow_id=join.id))
    check(code == SC.NOT_FOUND, "removing it again: %s" % code)
    stub.AddSubflow(pb.AddSubflowRequest(id=conn_id, local_address="127.0.0.2"), timeout=10)
    again = two_subflows(stub, conn_id)
    print("subflows: added one, the limit refused the next (%r), removed %d and %d, "
          "added again: %s" % (limit_message, join.id, extra.id,
                               [(s.id, s.local_address, s.state) for s in again.subflows]))
    # ADD_ADDR / REMOVE_ADDR, as the server's own API sees them.
    stub.AnnounceAddress(pb.AnnounceAddressRequest(id=conn_id, address="127.0.0.2"), timeout=10)
    announced = server_events.wait_types([pb.EVENT_TYPE_ADDRESS_ANNOUNCED])[0]
    check(announced.address.startswith("127.0.0.2"), "announced %s" % announced)
    stub.WithdrawAddress(pb.WithdrawAddressRequest(id=conn_id, address="127.0.0.2"), timeout=10)
    removed = server_events.wait_types([pb.EVENT_TYPE_ADDRESS_REMOVED])[0]
    check(removed.address_id == announced.address_id, "removed %s" % removed)
    code, message = api.code_of(stub.AnnounceAddress, pb.AnnounceAddressRequest(id=conn_id, address="x"))
    check(code == SC.INVALID_ARGUMENT and message.startswith("address:"), "announce x: %r" % message)
    print("addresses: the server saw ADD_ADDR id %d (%s) and REMOVE_ADDR: ok" % (
        announced.address_id, announced.address))


def test_close(stub, clients, ids, events):
    graceful = stub.CloseConnection(pb.CloseConnectionRequest(id=ids[1]), timeout=10)
    check(graceful.id == ids[1], "close answered %s" % graceful)
    stub.CloseConnection(pb.CloseConnectionRequest(id=ids[0], fast=True), timeout=10)
    closed = api.wait_until(
        lambda: [e for e in events.of_type(pb.EVENT_TYPE_CONNECTION_CLOSED)
                 if e.connection_id == ids[0]], 20, "connection %d's CONNECTION_CLOSED" % ids[0])
    reasons = {e.connection_id: e.reason for e in closed}
    check(reasons.get(ids[0]) == "aborted", "fast close reason %s" % reasons)
    code, _ = api.code_of(stub.CloseConnection, pb.CloseConnectionRequest(id=ids[0]))
    check(code in (SC.NOT_FOUND, SC.FAILED_PRECONDITION), "closing it again: %s" % code)
    print("close: fast close -> %s; graceful close of %d started" % (reasons[ids[0]], ids[1]))


def test_watch_filters(pair, stub):
    code, message = api.code_of(lambda req, timeout: list(stub.WatchEvents(req, timeout=timeout)),
                                pb.WatchEventsRequest(types=[99]))
    check(code == SC.INVALID_ARGUMENT and message.startswith("types[0]"),
          "WatchEvents bad type: %s %r" % (code, message))
    only_created = EventCollector(pair.client_api, types=[pb.EVENT_TYPE_CONNECTION_CREATED])
    c = api.Client(pair.forward_port)
    api.wait_until(lambda: only_created.of_type(pb.EVENT_TYPE_CONNECTION_CREATED), 10, "created")
    conn_id = only_created.of_type(pb.EVENT_TYPE_CONNECTION_CREATED)[0].connection_id
    one_conn = EventCollector(pair.client_api, connection_id=conn_id)
    two_subflows(stub, conn_id)
    stub.CloseConnection(pb.CloseConnectionRequest(id=conn_id, fast=True), timeout=10)
    api.wait_until(lambda: one_conn.of_type(pb.EVENT_TYPE_CONNECTION_CLOSED), 10, "closed")
    with only_created.lock:
        types = {e.type for e in only_created.events}
    check(types == {pb.EVENT_TYPE_CONNECTION_CREATED}, "type filter let through %s" % types)
    with one_conn.lock:
        others = [e for e in one_conn.events if e.connection_id != conn_id]
    check(not others, "connection filter let through %s" % others)
    check(only_created.error is None and one_conn.error is None, "stream errors")
    only_created.close()
    one_conn.close()
    c.close()
    print("events: type and connection filters: ok")


def lag_over(before, after, bound):
    """Timer runs later than `bound` seconds between two scrapes, and the
    smallest bucket bound that holds every lag of the window."""
    late = (after[float("inf")] - after[bound]) - (before[float("inf")] - before[bound])
    worst = min(le for le in after if after[le] - before.get(le, 0) ==
                after[float("inf")] - before[float("inf")])
    return late, worst, after[float("inf")] - before[float("inf")]


def test_load(pair, stub):
    """200 concurrent API calls while 50 connections carry traffic, each
    40 kB/s each way (4 MB/s in all). At 400 kB/s each (40 MB/s in all) the
    two plaitd and the Python traffic generator saturate a 2-core machine
    and timers run up to 250 ms late with no API call at all: the lag then
    measures the machine, not the API."""
    pair.source.rate = 40000
    clients = [api.Client(pair.forward_port, rate=40000) for _ in range(50)]
    api.wait_until(lambda: len(stub.ListConnections(pb.ListConnectionsRequest(
        state=pb.CONNECTION_STATE_ESTABLISHED, page_size=1000), timeout=10).connections) >= 50,
        20, "50 established connections")
    time.sleep(1)
    metrics_port = int(pair.client.wait_for("metrics")[0]["port"])
    lag_before = api.histogram(api.scrape(metrics_port), "plait_event_loop_lag_seconds")
    ids = [c.id for c in stub.ListConnections(pb.ListConnectionsRequest(
        state=pb.CONNECTION_STATE_ESTABLISHED, page_size=1000), timeout=10).connections]
    calls = []
    for i in range(200):
        kind = i % 5
        conn_id = ids[i % len(ids)]
        if kind == 0:
            calls.append(lambda: stub.GetStatus(pb.GetStatusRequest(), timeout=10))
        elif kind == 1:
            calls.append(lambda: stub.ListConnections(pb.ListConnectionsRequest(page_size=1000), timeout=10))
        elif kind == 2:
            calls.append(lambda c=conn_id: stub.GetConnection(pb.GetConnectionRequest(id=c), timeout=10))
        elif kind == 3:
            calls.append(lambda c=conn_id, i=i: stub.SetScheduler(pb.SetSchedulerRequest(
                id=c, name=["minrtt", "roundrobin", "blest", "ecf"][i % 4]), timeout=10))
        else:
            calls.append(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=10))
    errors = []
    started = time.time()
    barrier = threading.Barrier(200)

    def run(call):
        barrier.wait()
        try:
            call()
        except grpc.RpcError as e:
            errors.append("%s: %s" % (e.code(), e.details()))
    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        list(pool.map(run, calls))
    elapsed = time.time() - started
    received = [c.received for c in clients]
    time.sleep(1.5)  # the metrics snapshot is taken every second
    moving = sum(1 for c, r in zip(clients, received) if c.received > r and c.sent > 0)
    lag_after = api.histogram(api.scrape(metrics_port), "plait_event_loop_lag_seconds")
    late, worst, timers = lag_over(lag_before, lag_after, 0.05)
    for c in clients:
        c.close()
    pair.source.rate = None
    print("load: 200 concurrent calls in %.2f s with %d connections moving data both ways; "
          "errors %d; %d timers ran in the window, %d of them more than 50 ms late, "
          "all within %g ms of their deadline" % (
              elapsed, moving, len(errors), timers, late, worst * 1e3))
    check(not errors, "API errors under load: %s" % errors[:5])
    check(moving == 50, "only %d of 50 connections moved data" % moving)
    check(timers > 0, "no timer ran in the window")
    check(late == 0, "%d timers ran more than 50 ms late" % late)
    return worst


def test_plaitctl(pair, plaitctl):
    def run(*args):
        p = subprocess.run([plaitctl, "--api", pair.client_api] + list(args),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr
    rc, out, err = run("status")
    check(rc == 0 and "127.0.0.2" in out, "plaitctl status: %d %r %r" % (rc, out, err))
    rc, out, err = run("status", "--json")
    check(rc == 0 and json.loads(out)["io_mode"] == "udp", "plaitctl status --json: %r" % out)
    c = api.Client(pair.forward_port)
    api.wait_until(lambda: "ESTABLISHED" in run("conns")[1], 10, "plaitctl conns to show a subflow")
    rc, out, err = run("conns")
    check(rc == 0 and "127.0.0.1" in out, "plaitctl conns: %r" % out)
    rc, out, err = run("conn", "show", "999999")
    check(rc == 1 and "NOT_FOUND" in err, "plaitctl conn show unknown: %d %r" % (rc, err))
    rc, out, err = run("sched", "set", "1", "nope")
    check(rc == 1 and ("INVALID_ARGUMENT" in err or "NOT_FOUND" in err), "plaitctl bad sched: %r" % err)
    rc, out, err = run("frobnicate")
    check(rc == 2, "plaitctl unknown command: %d" % rc)
    p = subprocess.run([plaitctl, "--api", "unix:/nonexistent-plait/x.sock", "status"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 3, "plaitctl unreachable: %d %r" % (p.returncode, p.stderr))
    rc, out, err = run("policy", "get")
    check(rc == 0 and "bulk" in out, "plaitctl policy get: %r" % out)
    rc, out, err = run("policy", "validate", "deploy/policy/example.txtpb")
    check(rc == 0, "the example policy: %d %r %r" % (rc, out, err))
    c.close()
    print("plaitctl: status, --json, conns, errors (exit 1, 2, 3), policy get: ok")


def test_restart(plaitd, work):
    """--state-dir: the policy survives a restart; a corrupt file is set
    aside and reported."""
    state = os.path.join(work, "state")
    pair = api.Pair(plaitd, work, client_extra=["--state-dir", state],
                    client_name="restart-client", server_name="restart-server")
    try:
        stub = api.stub(pair.client_api)
        stub.SetPolicy(pb.SetPolicyRequest(policy=policy_from_text(BULK_POLICY)), timeout=10)
        check(pair.client.stop() == 0, "client exit code")
        pair.client.start()
        pair.client.wait_for("started")
        state_after = api.wait_until(lambda: _try(lambda: api.stub(pair.client_api).GetPolicy(
            pb.GetPolicyRequest(), timeout=2)), 10, "the restarted plaitd's API")
        check(state_after.generation == 1 and state_after.policy.version == "rev-1",
              "after restart: %s" % state_after)
        c = api.Client(int(pair.client.wait_for("forward")[0]["listen"].rsplit(":", 1)[1]))
        conn = api.wait_until(lambda: api.stub(pair.client_api).ListConnections(
            pb.ListConnectionsRequest(), timeout=10).connections, 10, "a connection")[0]
        check(conn.profile == "bulk", "the restored policy applies: %s" % conn.profile)
        c.close()
        print("restart with --state-dir: policy %s generation %d is back and applies" % (
            state_after.policy.version, state_after.generation))
        # Corrupt it.
        check(pair.client.stop() == 0, "client exit code")
        path = os.path.join(state, "policy.binpb")
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 0xFF
        open(path, "wb").write(bytes(data))
        pair.client.start()
        pair.client.wait_for("started")
        refused = pair.client.wait_for("policy_refused")[0]
        check("set aside" in refused["reason"], "the log says: %r" % refused["reason"])
        state_now = api.stub(pair.client_api).GetPolicy(pb.GetPolicyRequest(), timeout=10)
        check(state_now.generation == 0 and not state_now.policy.profiles,
              "after a corrupt file the defaults run: %s" % state_now)
        check("set aside" in state_now.last_refusal, "last_refusal %r" % state_now.last_refusal)
        aside = [f for f in os.listdir(state) if f.startswith("policy.binpb.corrupt-")]
        check(len(aside) == 1 and not os.path.exists(path), "set-aside files %s" % os.listdir(state))
        print("corrupt state file: reported (%s), set aside as %s, defaults in force" % (
            refused["reason"][:60], aside[0]))
    finally:
        pair.stop()


def _try(f):
    try:
        return f()
    except grpc.RpcError:
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plaitd", required=True)
    parser.add_argument("--plaitctl", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    pair = api.Pair(args.plaitd, args.work,
                    client_extra=["--label", "zone=edge", "--metrics", "127.0.0.1:0"])
    try:
        stub = api.stub(pair.client_api)
        client_events = EventCollector(pair.client_api)
        server_events = EventCollector(pair.server_api)
        test_status_health_reflection(pair, stub)
        test_policy(pair, stub, client_events)
        clients, ids = test_connections(pair, stub)
        clients[1].rate = 2000000  # the other connection, paced too
        ratios = test_scheduler_and_priority(pair, stub, ids[0], clients[0])
        test_subflows_and_addresses(pair, stub, ids[0], server_events)
        kinds = {pb.EventType.Name(e.type) for e in client_events.events}
        for wanted in ("EVENT_TYPE_CONNECTION_CREATED", "EVENT_TYPE_CONNECTION_ESTABLISHED",
                       "EVENT_TYPE_SUBFLOW_ESTABLISHED", "EVENT_TYPE_SUBFLOW_PRIORITY",
                       "EVENT_TYPE_SUBFLOW_CLOSED"):
            check(wanted in kinds, "no %s event on the client (got %s)" % (wanted, sorted(kinds)))
        test_close(stub, clients, ids, client_events)
        for c in clients:
            c.close()
        test_watch_filters(pair, stub)
        test_plaitctl(pair, args.plaitctl)
        lag = test_load(pair, stub)
        check(client_events.error is None, "event stream error %s" % client_events.error)
        client_events.close()
        server_events.close()
        codes = pair.stop()
        check(codes == (0, 0), "plaitd exit codes %s" % (codes,))
        test_restart(args.plaitd, args.work)
        print("PASS: every RPC; scheduler spread minrtt %.2f -> redundant %.2f; "
              "event-loop lag under load within %g ms" % (ratios["minrtt"], ratios["redundant"],
                                                         lag * 1e3))
    except api.Failure as e:
        print("FAIL:", e)
        for d in (pair.client, pair.server):
            print("--- %s log tail ---\n%s" % (d.name, d.tail()))
        pair.stop()
        sys.exit(1)


if __name__ == "__main__":
    main()
