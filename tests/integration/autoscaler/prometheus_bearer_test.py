#!/usr/bin/env python3
"""A Prometheus metric behind a bearer token and a custom CA, through per-policy named connections
(issue 15 acceptance, authenticated sources).

Prometheus's own web server can require TLS, client certificates and basic auth (tested in
prometheus_auth_it.cpp) but not a bearer token, so a real reverse proxy stands in front of the
Prometheus peer, as in front of Mimir or Thanos: Debian's nginx, started by this test on
127.0.0.1 with a server certificate of a CA made here, answering 401 unless the request carries
`Authorization: Bearer <token>` and 403 unless `X-Scope-OrgID: team-k`, then passing the request
to the Prometheus peer without the token.

deploy/base on the kube peer; one `keelson-autoscaler run` under the keelson-autoscaler
ServiceAccount's token with `--connections` defining three Prometheus connections (files in the
--prometheus-config format): `tenant-k` (the right token, the CA, the tenant header),
`tenant-k-wrong` (a wrong token) and `tenant-k-otherca` (the right token, another CA). The policy
team-k/api switches between them with `kubectl apply`. Checks:
  1. `connection: tenant-k`: `vector(40)` against an AverageValue target of 10 scales team-k/api 1 -> 4;
     ScalingActive=True ValidMetricFound; the proxy logged the requests as answered (200);
  2. `connection: tenant-k-wrong`: ScalingActive=False whose message says the server answered 401,
     a FailedGetMetrics Warning Event, the process still running, a hand-made count left alone;
  3. `connection: tenant-k-otherca`: ScalingActive=False naming the failed TLS handshake;
  and neither token in any log line, condition or Event.
"""
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from cluster import (Checks, Kube, condition, load_env, scaling_policy, start_autoscaler,
                     stop_autoscaler, wait)

NS = "keelson-system"
APP_NS = "team-k"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def policy(connection):
    return scaling_policy(APP_NS, "api", f"""\
    - type: Prometheus
      prometheus:
        name: rps
        connection: {connection}
        query: vector(40)
        target: {{type: AverageValue, averageValue: "10"}}
""")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certificates(work):
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={ca}",
                "-keyout", str(work / f"{ca}.key"), "-out", str(work / f"{ca}.crt"))
    (work / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=prometheus-proxy", "-keyout",
            str(work / "server.key"), "-out", str(work / "server.csr"))
    openssl("x509", "-req", "-in", str(work / "server.csr"), "-CA", str(work / "ca.crt"), "-CAkey",
            str(work / "ca.key"), "-CAcreateserial", "-days", "2", "-extfile",
            str(work / "server.ext"), "-out", str(work / "server.crt"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_proxy(work, upstream, token):
    """nginx in the foreground, one process, every path under `work`; returns (process, url)."""
    port = free_port()
    tmp = work / "nginx-tmp"
    tmp.mkdir()
    (work / "nginx.conf").write_text(f"""\
daemon off;
master_process off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
  access_log {work}/nginx-access.log;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {work}/server.crt;
    ssl_certificate_key {work}/server.key;
    location / {{
      if ($http_authorization != "Bearer {token}") {{ return 401; }}
      if ($http_x_scope_orgid != "team-k") {{ return 403; }}
      proxy_set_header Authorization "";
      proxy_pass {upstream};
    }}
  }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(work), "-c", str(work / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=(work / "nginx.out").open("w"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"https://127.0.0.1:{port}"
        time.sleep(0.1)
    sys.exit(f"nginx did not start: {(work / 'nginx.out').read_text()}"
             f"{(work / 'nginx-error.log').read_text() if (work / 'nginx-error.log').exists() else ''}")


def main():
    kube, prom = Kube(), load_env("prometheus")
    k = kube.k
    checks = Checks()
    expect = checks.expect
    work = Path(tempfile.mkdtemp(prefix="keelson-prom-bearer-"))
    token, wrong = secrets.token_hex(16), secrets.token_hex(16)
    (work / "token").write_text(token + "\n")
    (work / "wrong-token").write_text(wrong + "\n")
    make_certificates(work)
    upstream = prom["KEELSON_PROMETHEUS_URL"]
    assert urlparse(upstream).hostname == "127.0.0.1", upstream
    proxy, url = start_proxy(work, upstream, token)

    for name, token_file, ca in (("tenant-k", "token", "ca.crt"),
                                 ("tenant-k-wrong", "wrong-token", "ca.crt"),
                                 ("tenant-k-otherca", "token", "otherca.crt")):
        (work / f"{name}.yaml").write_text(f"url: {url}\n"
                                           f"bearerTokenFile: {work / token_file}\n"
                                           f"tls: {{caFile: {work / ca}}}\n"
                                           "headers: {X-Scope-OrgID: team-k}\n"
                                           "timeoutSeconds: 5\n")
    (work / "connections.yaml").write_text(
        "prometheus:\n" + "".join(f"  {name}: {{namespaces: [{APP_NS}], config: {name}.yaml}}\n"
                                  for name in ("tenant-k", "tenant-k-wrong", "tenant-k-otherca")))

    proc = None
    log_path = work / "autoscaler.log"

    def status():
        return kube.status(APP_NS, "api")

    def active():
        return condition(status(), "ScalingActive")

    def until(predicate, seconds=60):
        return wait(predicate, seconds, proc)

    try:
        kube.fresh_app(APP_NS, "api")
        sa_token = k("-n", NS, "create", "token", "keelson-autoscaler").stdout.strip()
        sa = kube.kubeconfig_for(work / "sa.kubeconfig", sa_token, "keelson-autoscaler")
        k("apply", "-f", "-", stdin=policy("tenant-k"))
        proc = start_autoscaler(["--kubeconfig", str(sa), "--listen", "127.0.0.1:0",
                                 "--sync-period", "1", "--connections",
                                 str(work / "connections.yaml")], log_path, "prom-bearer-test", NS)
        expect(until(lambda: kube.replicas(APP_NS, "api") == 4),
               "vector(40) behind the bearer token and the custom CA (connection tenant-k) scales "
               f"team-k/api 1 -> 4 ({kube.replicas(APP_NS, 'api')})")
        expect(until(lambda: active().get("reason") == "ValidMetricFound"),
               f"ScalingActive ValidMetricFound: {json.dumps(status())}")
        access = (work / "nginx-access.log").read_text()
        expect('"GET /api/v1/query?' in access and '" 200 ' in access,
               "the queries went through the proxy and were answered 200")

        k("apply", "-f", "-", stdin=policy("tenant-k-wrong"))
        expect(until(lambda: active().get("status") == "False" and "401" in active().get(
            "message", ""), 60), f"wrong token: ScalingActive=False naming the 401: {active()}")
        k("-n", APP_NS, "scale", "deployment", "api", "--replicas=1")
        expect(until(lambda: status().get("currentReplicas") == 1, 30),
               "the policy sees the hand-made count")
        expect(until(lambda: any(e.get("reason") == "FailedGetMetrics" and e.get("type") == "Warning"
                                 for e in kube.events(APP_NS, "api")), 30),
               "a FailedGetMetrics Warning Event on the target")
        expect(proc.poll() is None, "the autoscaler is still running")
        expect(kube.replicas(APP_NS, "api") == 1, "the count is left alone")

        k("apply", "-f", "-", stdin=policy("tenant-k-otherca"))
        expect(until(lambda: "TLS handshake" in active().get("message", ""), 60),
               f"a server certificate of another CA: the failed TLS handshake named: {active()}")
        expect(proc.poll() is None and kube.replicas(APP_NS, "api") == 1,
               "still running, the count still left alone")
        leaked = [where for where, text in (
            ("log", log_path.read_text()), ("status", json.dumps(status())),
            ("events", json.dumps(kube.events(APP_NS, "api")))) if token in text or wrong in text]
        expect(not leaked, f"neither token appears anywhere ({leaked})")
    finally:
        stop_autoscaler(proc, log_path)
        proxy.terminate()
        proxy.wait(timeout=15)
        k("delete", "namespace", APP_NS, "--wait=false", check=False)
        kube.delete_base()
        shutil.rmtree(work, ignore_errors=True)
    return checks.result()


if __name__ == "__main__":
    sys.exit(main())
