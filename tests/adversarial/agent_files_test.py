#!/usr/bin/env python3
"""Hostile files and secrets against the real `keelson-agent` (issue 14, items 2 and 7 and the
acceptance's "no outside file is ever shipped", "no configured secret appears in any output").

Loopback only, no peers, bounded in time (SIGALRM), every agent stopped by its PID. Asserts:

1. outside files: `run --sink file:...` over a log root holding a normal container log, a
   container log that is a symlink to a file outside the root and one that is a hard link to it:
   only the normal file's lines are shipped, the outside file's never, and the refusals are
   counted in /metrics (keelson_log_paths_refused_total{reason="Symlink"|"HardLink"});
2. secrets: SASL credentials in `logs.kafka.properties` (inline, `${env:...}` and `${file:...}`),
   a kubeconfig token, a misspelled secret property and a broker and API server that are not
   there: neither `check-config` nor `run` (stdout, stderr, /metrics) ever shows a secret value;
   SASL PLAIN over sasl_plaintext and a bearer token over http:// are each warned once and
   exported as keelson_agent_insecure_transport{reason} 1.

Usage: agent_files_test.py AGENT_BINARY FIXTURE_TREE [--only files|secrets]
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def cri(text, n):
    return "".join(f"2026-12-02T10:00:{i:02d}.000000000Z stdout F {text} {i}\n" for i in range(n))


class Agent:
    def __init__(self, binary, fixture, work, log_root, sink, config, env=None):
        self.work = work
        os.makedirs(os.path.join(work, "state"), exist_ok=True)
        port_file = os.path.join(work, "port")
        config_path = os.path.join(work, "agent.yaml")
        with open(config_path, "w") as f:
            f.write(config)
        self.out_path = os.path.join(work, "stdout")
        self.err_path = os.path.join(work, "stderr")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            [binary, "run", "--config", config_path, "--listen", "127.0.0.1:0", "--port-file",
             port_file, "--cgroup-root", f"{fixture}/sys/fs/cgroup", "--proc-root",
             f"{fixture}/proc", "--log-root", log_root, "--state-dir",
             os.path.join(work, "state"), "--node-name", "adversarial", "--sink", sink],
            stdout=self.out, stderr=self.err, env=env)
        deadline = time.monotonic() + 20
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                fail(f"agent did not start: {self.outputs()}")
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def metrics(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while chunk := s.recv(1 << 16):
                data += chunk
        return data.partition(b"\r\n\r\n")[2].decode(errors="replace")

    def outputs(self):
        return (open(self.out_path, errors="replace").read() +
                open(self.err_path, errors="replace").read())

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.out.close()
        self.err.close()


def refused(metrics, reason):
    m = re.search(r'^keelson_log_paths_refused_total\{reason="' + reason + r'"\} ([0-9.e+]+)$',
                  metrics, re.M)
    return float(m.group(1)) if m else 0.0


def files_case(binary, fixture, work):
    root = os.path.join(work, "log")
    outside = os.path.join(work, "outside")  # same filesystem: a hard link is possible
    os.makedirs(outside)
    secret_file = os.path.join(outside, "shadow.log")
    with open(secret_file, "w") as f:
        f.write(cri("OUTSIDE-THE-ROOT", 5))
    pods = os.path.join(root, "pods")
    containers = os.path.join(root, "containers")
    os.makedirs(containers)
    layout = {"good": "1", "symlinked": "2", "hardlinked": "3"}
    for pod, digit in layout.items():
        uid = f"{digit * 8}-0000-4000-8000-000000000000"
        cid = digit * 64
        directory = os.path.join(pods, f"ns_{pod}_{uid}", "app")
        os.makedirs(directory)
        path = os.path.join(directory, "0.log")
        if pod == "good":
            with open(path, "w") as f:
                f.write(cri("inside-the-root", 5))
        elif pod == "symlinked":
            os.symlink(secret_file, path)
        else:
            os.link(secret_file, path)
        os.symlink(path, os.path.join(containers, f"{pod}_ns_app-{cid}.log"))
    sink = os.path.join(work, "sink.jsonl")
    agent = Agent(binary, fixture, os.path.join(work, "agent"), root, "file:" + sink,
                  "logs: {checkpoint_interval: 200ms}\n")
    try:
        deadline = time.monotonic() + 30
        shipped = ""
        while time.monotonic() < deadline:
            shipped = open(sink, errors="replace").read() if os.path.exists(sink) else ""
            metrics = agent.metrics()
            if (shipped.count("inside-the-root") >= 5 and refused(metrics, "Symlink") >= 1 and
                    refused(metrics, "HardLink") >= 1):
                break
            time.sleep(0.2)
        time.sleep(1)  # one more rescan: anything else would have been shipped by now
        shipped = open(sink, errors="replace").read() if os.path.exists(sink) else ""
        metrics = agent.metrics()
    finally:
        agent.stop()
    shipped = open(sink, errors="replace").read() if os.path.exists(sink) else ""
    inside = shipped.count("inside-the-root")
    print(f"files: {inside} lines of the normal file shipped, "
          f"{shipped.count('OUTSIDE-THE-ROOT')} of the outside file; refused: "
          f"Symlink {refused(metrics, 'Symlink'):.0f}, HardLink {refused(metrics, 'HardLink'):.0f}")
    if "OUTSIDE-THE-ROOT" in shipped:
        fail("a line of the file outside the log root was shipped")
    if inside != 5:
        fail(f"{inside} lines of the normal file shipped, wanted 5: {shipped[:1000]}")
    if refused(metrics, "Symlink") < 1 or refused(metrics, "HardLink") < 1:
        fail(f"refusals not counted: {[l for l in metrics.splitlines() if 'refused' in l]}")


def secrets_case(binary, fixture, work):
    inline = "inline-" + secrets.token_hex(12)
    from_env = "env-" + secrets.token_hex(12)
    from_file = "file-" + secrets.token_hex(12)
    misspelled = "typo-" + secrets.token_hex(12)
    kube_token = "kube-" + secrets.token_hex(12)
    values = [inline, from_env, from_file, misspelled, kube_token]
    os.makedirs(work)
    secret_path = os.path.join(work, "password")
    with open(secret_path, "w") as f:
        f.write(from_file + "\n")
    env = dict(os.environ, KEELSON_TEST_SECRET=from_env)
    # A broker that is not there: librdkafka's connection errors are reported, never the values.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    broker = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    sink = f"kafka://{broker}/logs"
    kubeconfig = os.path.join(work, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
current-context: c
contexts: [{{name: c, context: {{cluster: k, user: u}}}}]
clusters: [{{name: k, cluster: {{server: "http://{broker}"}}}}]
users: [{{name: u, user: {{token: "{kube_token}"}}}}]
""")
    configs = {
        "inline": f"""sink: {sink}
kubeconfig: {kubeconfig}
metadata: {{enabled: true}}
logs:
  kafka:
    properties:
      security.protocol: sasl_plaintext
      sasl.mechanisms: PLAIN
      sasl.username: keelson
      sasl.password: "{inline}"
""",
        "env-and-file": f"""sink: {sink}
logs:
  kafka:
    properties:
      security.protocol: sasl_plaintext
      sasl.mechanisms: PLAIN
      sasl.username: "${{file:{secret_path}}}"
      sasl.password: "${{env:KEELSON_TEST_SECRET}}"
""",
        "misspelled": f"""sink: {sink}
logs:
  kafka:
    properties:
      sasl.pasword: "{misspelled}"
""",
    }
    seen = []
    for name, config in configs.items():
        path = os.path.join(work, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(config)
        check = subprocess.run([binary, "check-config", "--config", path], capture_output=True,
                               env=env, timeout=30)
        output = (check.stdout + check.stderr).decode(errors="replace")
        seen.append((f"check-config {name}", output))
        want = 1 if name == "misspelled" else 0
        print(f"secrets: check-config {name}: exit {check.returncode}: "
              f"{output.strip().splitlines()[0] if output.strip() else ''}")
        if check.returncode != want:
            fail(f"check-config {name}: exit {check.returncode}, wanted {want}: {output}")
    for name in ("inline", "env-and-file"):
        root = os.path.join(work, f"log-{name}")
        directory = os.path.join(root, "pods", "ns_p_11111111-0000-4000-8000-000000000000", "app")
        os.makedirs(directory)
        os.makedirs(os.path.join(root, "containers"))
        with open(os.path.join(directory, "0.log"), "w") as f:
            f.write(cri("line", 3))
        agent = Agent(binary, fixture, os.path.join(work, f"agent-{name}"), root, sink,
                      configs[name], env=env)
        try:
            time.sleep(3)  # connection attempts, errors logged
            metrics = agent.metrics()
        finally:
            agent.stop()
        seen.append((f"run {name}", agent.outputs()))
        # Downgrades are warned once and exported (issue 14, item 11; before: not a word).
        wanted = ["SaslCredentialsOverPlaintext"] + (["BearerTokenOverHttp"]
                                                     if name == "inline" else [])
        for reason in wanted:
            if agent.outputs().count(f"warning: {reason}: ") != 1:
                fail(f"run {name}: {reason} not warned exactly once: {agent.outputs()}")
            if not re.search(r'^keelson_agent_insecure_transport\{reason="' + reason + r'"\} 1$',
                             metrics, re.M):
                fail(f"run {name}: keelson_agent_insecure_transport{{reason={reason}}} is not 1")
        seen.append((f"run {name} /metrics", metrics))
        print(f"secrets: run {name}: exit {agent.proc.returncode}, "
              f"{len(agent.outputs().splitlines())} lines of output, "
              f"{len(metrics.splitlines())} of /metrics")
    for where, text in seen:
        for value in values:
            if value in text:
                fail(f"{where}: a configured secret appears: {text[:2000]}")
    print("secrets: no configured value in any output of the agent")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("agent")
    parser.add_argument("fixture")
    parser.add_argument("--only", choices=["files", "secrets"])
    args = parser.parse_args()
    signal.alarm(200)  # bounded, whatever happens
    work = tempfile.mkdtemp(prefix="keelson-adversarial-")
    try:
        if args.only in (None, "files"):
            files_case(args.agent, args.fixture, os.path.join(work, "files"))
        if args.only in (None, "secrets"):
            secrets_case(args.agent, args.fixture, os.path.join(work, "secrets"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
