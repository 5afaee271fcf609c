"""plaitd's API over TCP with TLS and mTLS.

Certificates from the openssl CLI: a CA, a server certificate for
127.0.0.1 (subjectAltName IP:127.0.0.1), a client certificate from the same
CA, and a rogue CA with its own client certificate. One plaitd serves the
API on 127.0.0.1:0 with --api-tls-cert/--api-tls-key/--api-tls-client-ca
and --api-mutations-need-mtls. Checked:
  - TLS without a client certificate: GetStatus and GetPolicy work,
    SetPolicy is PERMISSION_DENIED naming --api-mutations-need-mtls (a dry
    run is not a mutation and works);
  - the good client certificate: SetPolicy applies;
  - the rogue client certificate: handshake refused (UNAVAILABLE) or
    denied, and the policy does not change;
  - a plaintext client fails;
  - grpc.health.v1.Health/Check over TLS, server reflection over TLS;
  - plaitd refuses --api 0.0.0.0:0 without TLS, and
    --api-mutations-need-mtls without --api-tls-client-ca (exit 2).
"""

import argparse
import json
import os
import subprocess
import sys

import grpc

from grpc_proto.grpc.health.v1 import health_pb2, health_pb2_grpc
from grpc_proto.grpc.reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from plait_api import Daemon, Failure, channel, check, code_of, pb, policy_pb2, stub

SERVICE = "plait.v1.DataplaneService"


def openssl(work, *args):
    r = subprocess.run(["openssl"] + list(args), cwd=work, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    check(r.returncode == 0, "openssl %s: exit %d\n%s"
          % (" ".join(args), r.returncode, r.stdout.decode(errors="replace")))


def make_ca(work, name):
    openssl(work, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=plait test " + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_cert(work, name, ca, cn, extensions):
    ext = os.path.join(work, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n" + extensions)
    openssl(work, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)
    openssl(work, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", ext)


def read(work, name):
    with open(os.path.join(work, name), "rb") as f:
        return f.read()


def make_pki(work):
    make_ca(work, "ca")
    make_cert(work, "server", "ca", "127.0.0.1",
              "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    make_cert(work, "client", "ca", "plait-operator", "extendedKeyUsage=clientAuth\n")
    make_ca(work, "rogue-ca")
    make_cert(work, "rogue", "rogue-ca", "plait-operator", "extendedKeyUsage=clientAuth\n")
    print("pki: CA, server (IP:127.0.0.1), client, rogue CA and rogue client made with openssl")


def credentials(work, client=None):
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=read(work, "ca.pem"))
    return grpc.ssl_channel_credentials(root_certificates=read(work, "ca.pem"),
                                        private_key=read(work, client + ".key"),
                                        certificate_chain=read(work, client + ".pem"))


def policy(version):
    return policy_pb2.Policy(version=version, profiles=[policy_pb2.Profile(name="p")],
                             default_profile="p")


def check_access(address, work):
    anonymous = stub(address, credentials=credentials(work))
    status = anonymous.GetStatus(pb.GetStatusRequest(), timeout=10)
    check(status.io_mode == "udp", "GetStatus over TLS without a client cert: io_mode %r"
          % status.io_mode)
    state = anonymous.GetPolicy(pb.GetPolicyRequest(), timeout=10)
    check(state.generation == 0, "GetPolicy over TLS: generation %d, expected 0" % state.generation)
    print("TLS, no client cert: GetStatus (io_mode %s) and GetPolicy (generation %d) OK"
          % (status.io_mode, state.generation))

    code, details = code_of(anonymous.SetPolicy, pb.SetPolicyRequest(policy=policy("anon")))
    check(code == grpc.StatusCode.PERMISSION_DENIED,
          "SetPolicy over TLS without a client cert: %s %r, expected PERMISSION_DENIED"
          % (code, details))
    check("--api-mutations-need-mtls" in (details or ""),
          "SetPolicy denied without naming --api-mutations-need-mtls: %r" % details)
    print("TLS, no client cert: SetPolicy -> %s %r" % (code.name, details))
    for name, call, request in (
            ("CloseConnection", anonymous.CloseConnection, pb.CloseConnectionRequest(id=999)),
            ("SetScheduler", anonymous.SetScheduler,
             pb.SetSchedulerRequest(id=999, name="roundrobin"))):
        code, details = code_of(call, request)
        check(code == grpc.StatusCode.PERMISSION_DENIED,
              "%s over TLS without a client cert: %s %r, expected PERMISSION_DENIED"
              % (name, code, details))
    dry = anonymous.SetPolicy(pb.SetPolicyRequest(policy=policy("anon"), dry_run=True), timeout=10)
    check(not dry.applied, "dry-run SetPolicy reports applied")
    check(anonymous.GetPolicy(pb.GetPolicyRequest(), timeout=10).generation == 0,
          "a denied SetPolicy (or a dry run) changed the policy generation")

    good = stub(address, credentials=credentials(work, "client"))
    try:
        reply = good.SetPolicy(pb.SetPolicyRequest(policy=policy("good")), timeout=10)
    except grpc.RpcError as e:
        raise Failure("SetPolicy with the CA's client cert: %s %r, expected OK"
                      % (e.code(), e.details()))
    check(reply.applied and reply.generation == 1 and reply.version == "good",
          "SetPolicy with the CA's client cert: applied=%s generation=%d version=%r, "
          "expected applied generation 1 version 'good'"
          % (reply.applied, reply.generation, reply.version))
    code, details = code_of(good.CloseConnection, pb.CloseConnectionRequest(id=999))
    check(code == grpc.StatusCode.NOT_FOUND,
          "CloseConnection(999) with the good client cert: %s %r, expected NOT_FOUND (allowed, "
          "no such connection)" % (code, details))
    print("mTLS, good client cert: SetPolicy applied, generation %d" % reply.generation)

    rogue = stub(address, credentials=credentials(work, "rogue"))
    code, details = code_of(rogue.SetPolicy, pb.SetPolicyRequest(policy=policy("rogue")))
    check(code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.PERMISSION_DENIED),
          "SetPolicy with a rogue CA's client cert: %s %r, expected UNAVAILABLE (handshake) "
          "or PERMISSION_DENIED" % (code, details))
    print("mTLS, rogue client cert: SetPolicy -> %s %r" % (code.name, details))
    state = good.GetPolicy(pb.GetPolicyRequest(), timeout=10)
    check(state.generation == 1 and state.policy.version == "good",
          "after the rogue SetPolicy: generation %d version %r, expected 1 'good'"
          % (state.generation, state.policy.version))

    plain = stub(address)
    code, details = code_of(plain.GetStatus, pb.GetStatusRequest())
    check(code == grpc.StatusCode.UNAVAILABLE,
          "plaintext GetStatus on the TLS port: %s %r, expected UNAVAILABLE" % (code, details))
    code, details = code_of(plain.SetPolicy, pb.SetPolicyRequest(policy=policy("plain")))
    check(code == grpc.StatusCode.UNAVAILABLE,
          "plaintext SetPolicy on the TLS port: %s %r, expected UNAVAILABLE" % (code, details))
    print("plaintext client: %s" % code.name)

    # A client that does not trust the server's CA must not connect either.
    untrusting = stub(address, credentials=grpc.ssl_channel_credentials(
        root_certificates=read(work, "rogue-ca.pem")))
    code, details = code_of(untrusting.GetStatus, pb.GetStatusRequest())
    check(code == grpc.StatusCode.UNAVAILABLE,
          "GetStatus trusting only the rogue CA: %s %r, expected UNAVAILABLE" % (code, details))


def check_health_and_reflection(address, work):
    ch = channel(address, credentials=credentials(work))
    health = health_pb2_grpc.HealthStub(ch)
    for service in ("", SERVICE):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        check(reply.status == health_pb2.HealthCheckResponse.SERVING,
              "Health/Check(%r) over TLS: %s, expected SERVING"
              % (service, health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)))
    code, details = code_of(health.Check,
                            health_pb2.HealthCheckRequest(service="plait.v1.NoSuchService"))
    check(code == grpc.StatusCode.NOT_FOUND,
          "Health/Check of an unknown service: %s %r, expected NOT_FOUND" % (code, details))
    print("health over TLS: '' and %s SERVING, unknown service NOT_FOUND" % SERVICE)

    reflection = reflection_pb2_grpc.ServerReflectionStub(ch)
    replies = list(reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
    check(len(replies) == 1, "reflection: %d replies to one request" % len(replies))
    check(replies[0].HasField("list_services_response"),
          "reflection: no list_services_response: %s" % replies[0])
    names = sorted(s.name for s in replies[0].list_services_response.service)
    for want in (SERVICE, "grpc.health.v1.Health"):
        check(want in names, "reflection list_services over TLS: %s missing from %s"
              % (want, names))
    print("reflection over TLS: %s" % ", ".join(names))
    ch.close()


def run_to_exit(plaitd, work, name, args, timeout=15):
    """plaitd that must refuse to start: its exit code and stderr."""
    log_path = os.path.join(work, name + ".log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([plaitd, "--log-format=json"] + args,
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Failure("%s: plaitd %s still running after %d s, expected it to refuse "
                          "to start; log:\n%s" % (name, " ".join(args), timeout,
                                                  open(log_path).read()))
    return code, open(log_path).read()


def check_refusals(plaitd, work):
    base = ["--path", "127.0.0.1", "--udp-port", "0"]

    code, log = run_to_exit(plaitd, work, "plaintext-any", base + ["--api", "0.0.0.0:0"])
    check(code != 0, "--api 0.0.0.0:0 without TLS: exit 0, expected a refusal; log:\n" + log)
    errors = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("level") == "error" and "error" in record:
            errors.append(record["error"])
    check(any("--api" in e and "plaintext TCP is only for loopback" in e for e in errors),
          "--api 0.0.0.0:0 without TLS: exit %d but no error log line naming --api and "
          "'plaintext TCP is only for loopback'; log:\n%s" % (code, log))
    print("--api 0.0.0.0:0 (plaintext): exit %d, %r" % (code, errors[-1]))

    code, log = run_to_exit(plaitd, work, "mtls-no-ca", base + [
        "--api", "127.0.0.1:0",
        "--api-tls-cert", os.path.join(work, "server.pem"),
        "--api-tls-key", os.path.join(work, "server.key"),
        "--api-mutations-need-mtls"])
    check(code == 2, "--api-mutations-need-mtls without --api-tls-client-ca: exit %d, "
          "expected 2; log:\n%s" % (code, log))
    check("--api-tls-client-ca" in log,
          "--api-mutations-need-mtls without --api-tls-client-ca: the message does not name "
          "--api-tls-client-ca:\n" + log)
    print("--api-mutations-need-mtls without --api-tls-client-ca: exit 2, %r"
          % log.strip().splitlines()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plaitd", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = args.work

    make_pki(work)
    daemon = Daemon(args.plaitd, "tls", [
        "--path", "127.0.0.1", "--udp-port", "0",
        "--api", "127.0.0.1:0",
        "--api-tls-cert", os.path.join(work, "server.pem"),
        "--api-tls-key", os.path.join(work, "server.key"),
        "--api-tls-client-ca", os.path.join(work, "ca.pem"),
        "--api-mutations-need-mtls"], work)
    try:
        api = daemon.wait_for("api")[0]
        daemon.wait_for("started")
        check(api.get("tls") is True and api.get("mtls") is True
              and api.get("mutations_need_mtls") is True,
              "api log line: %s, expected tls, mtls and mutations_need_mtls true" % api)
        address = api["address"]
        check(address.startswith("127.0.0.1:") and not address.endswith(":0"),
              "api log line's address %r: expected 127.0.0.1 and the bound port" % address)
        print("plaitd API on %s (tls, mtls, mutations need mTLS)" % address)

        check_access(address, work)
        check_health_and_reflection(address, work)
    except Failure:
        print("--- plaitd log tail:\n%s" % daemon.tail(), file=sys.stderr)
        raise
    finally:
        code = daemon.stop()
    check(code == 0, "plaitd exit code %s after SIGTERM, expected 0" % code)

    check_refusals(args.plaitd, work)
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
