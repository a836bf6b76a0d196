#!/usr/bin/env python3
"""keelson-agent `run` following live files beside Fluent Bit tailing the same files, in the same
window (issue 19, "a live node, not a backfill"; tests/bench/fluentbit/README.md).

A kubelet log root on tmpfs holds --files container logs (created empty before the tools start).
keelson-agent `run` (metrics port on 127.0.0.1, an empty cgroup root so its scrapes cost nothing,
`--sink` file:/dev/null or a Kafka URL) and, with --fluent-bit, Fluent Bit (`tail` +
`multiline.parser cri` -> `null`, refresh 1 s) both start and settle, then each phase runs for
--seconds:

  rate 0     idle: every file open, nothing written
  rate N     a writer process appends N CRI lines per second to every file: every --tick-ms it
             writes each file the lines due by then (1-2 lines per write at 100 lines/s and 20 ms),
             stamped with the time of writing

Per phase and tool: CPU-seconds (each thread's time on a CPU in ns, /proc/<pid>/task/*/schedstat;
utime+stime of /proc/<pid>/stat, in 10 ms ticks, if a thread ended in the phase) over the lines
written in the phase (per million lines), CPU as % of a core and ms per second, context switches
per second (voluntary + involuntary, every thread: the wakeups), read/write-family system calls
per second (/proc/<pid>/io syscr+syscw), the share of the CPU spent in the kernel (stime over
utime + stime of /proc/<pid>/stat), RSS at the end; for keelson the lines delivered and the
write-to-acknowledge p50/p99 of the phase (keelson_log_delivery_latency_seconds buckets, the
bucket's upper bound); for Fluent Bit the lines its tail read. The agent's /metrics is scraped
only between phases, outside the measured window. The writer's own CPU is its own process's.

  tests/bench/fluentbit/live.py --fluent-bit "$(tests/bench/fluentbit/build.sh REPO)"
  tests/bench/fluentbit/live.py --rates 0,20,100 --seconds 60 --sink kafka://127.0.0.1:PORT/logs

With --baseline-agent, a second keelson-agent (another build) runs beside the first on the same
files in the same window, its own state and port (to Kafka, its own topic: the --sink topic with
"-baseline" appended), and each phase prints the ratio of their CPU: this VM's CPU costs drift by
±20 % within minutes, which runs taken one after the other cannot tell from a change of a few
percent; two agents in the same window see the same machine.

  tests/bench/fluentbit/live.py --agent NEW --baseline-agent OLD --rates 20,100 --seconds 60

Run it alone: on 2 cores anything else running changes the figures.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from compare import CLK_TCK, REPO, fb_metrics, fluent_bit_config, free_port, proc_status_mib, proc_ticks

MESSAGE = ("GET /api/v1/products/{n} HTTP/1.1 200 1532 \"-\" \"shop-gateway/2.4\" "
           "rt=0.0{n2} upstream=product-service:8080 request_id={n:08x}-7c1e-4d2a-9f3b")

WRITER = r"""
import os, sys, time
root, files, rate, seconds, tick, message = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]) / 1000, sys.argv[6]
fds = [os.open(os.path.join(root, "pods", f"shop_live-{f}_uid-{f:04d}", "app", "0.log"), os.O_WRONLY | os.O_APPEND) for f in range(files)]
bodies = [(" stdout F " + message.format(n=i, n2=i % 10) + "\n").encode() for i in range(997)]
written, due, start = 0, 0.0, time.monotonic()
k = 0
while True:
    now = time.monotonic()
    if now - start >= seconds:
        break
    target = rate * (now - start)
    n = int(target) - int(due)
    due = target
    if n > 0:
        t = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)).encode() + b".%09dZ" % int((t % 1) * 1e9)
        for fd in fds:
            chunk = b"".join(stamp + bodies[(k + j) % 997] for j in range(n))
            os.write(fd, chunk)
            k += n
        written += n * files
    time.sleep(max(0.0, tick - (time.monotonic() - now)))
print(written)
"""


def task_counters(pid):
    """(context switches, syscr + syscw) over every thread of `pid`."""
    switches = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
        except OSError:
            pass
    calls = 0
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith(("syscr", "syscw")):
                calls += int(line.split()[1])
    return switches, calls


def thread_cpu_ns(pid):
    """{tid: ns on a CPU} of every thread of `pid` (schedstat: exact, where /proc/<pid>/stat counts
    10 ms ticks, too coarse for an idle agent's ~1 ms per second)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_between(b, e):
    """CPU-seconds between two snapshots: exact per thread, or the ticks if a thread ended."""
    if not set(b["threads"]) <= set(e["threads"]):
        return e["cpu"] - b["cpu"]
    return sum(ns - b["threads"].get(tid, 0) for tid, ns in e["threads"].items()) / 1e9


def snapshot(pid):
    switches, calls = task_counters(pid)
    user, system = proc_ticks(pid)  # one read of /proc/<pid>/stat: the total and the kernel's share
    return {"cpu": (user + system) / CLK_TCK, "threads": thread_cpu_ns(pid), "switches": switches,
            "calls": calls, "user": user, "system": system, "t": time.monotonic()}


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    delivered = sum(float(v) for v in re.findall(r"^keelson_log_lines_delivered_total(?:\{[^}]*\})? (\S+)$", text, re.M))
    buckets = {}
    for le, v in re.findall(r'^keelson_log_delivery_latency_seconds_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\} (\S+)$', text, re.M):
        buckets[float(le)] = buckets.get(float(le), 0) + float(v)
    return delivered, buckets


def quantile(before, after, q):
    """Upper bound of the bucket holding quantile q of the observations between two scrapes."""
    les = sorted(after)
    total = after[les[-1]] - before.get(les[-1], 0)
    if total <= 0:
        return None
    for le in les:
        if after[le] - before.get(le, 0) >= q * total:
            return le
    return les[-1]


def start_fluent_bit(fb, root, work):
    port = free_port()
    conf = os.path.join(work, "fluent-bit.conf")
    with open(conf, "w") as f:
        f.write(fluent_bit_config(root, port))
    proc = subprocess.Popen([fb, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def fb_read(port):
    m = fb_metrics(port)
    return sum(v.get("records", 0) for k, v in m.get("input", {}).items() if k.startswith("tail"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent", default=os.path.join(REPO, "build-release", "agent", "keelson-agent"))
    ap.add_argument("--baseline-agent", help="another keelson-agent build run beside --agent in the same window")
    ap.add_argument("--fluent-bit", help="the fluent-bit binary (build.sh prints it); absent: keelson alone")
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--rates", default="0,20,100", help="lines per second per file, one phase each")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--tick-ms", type=float, default=20)
    ap.add_argument("--settle", type=float, default=5, help="seconds after start before the first phase")
    ap.add_argument("--sink", default="file:/dev/null")
    ap.add_argument("--logs", default="{}",
                    help="the agent's `logs:` section as a YAML flow mapping, e.g. '{batch_wait: 150ms}'")
    ap.add_argument("--dir", default="/dev/shm")
    a = ap.parse_args()
    rates = [float(r) for r in a.rates.split(",")]
    work = tempfile.mkdtemp(dir=a.dir, prefix="keelson-live-bench-")
    root = os.path.join(work, "root")
    # As the kubelet lays it out: pods/<ns>_<pod>_<uid>/<container>/0.log, and containers/ with a
    # link per container instance naming its id (the agent reads and watches both).
    os.makedirs(os.path.join(root, "containers"))
    for f in range(a.files):
        d = os.path.join(root, "pods", f"shop_live-{f}_uid-{f:04d}", "app")
        os.makedirs(d)
        open(os.path.join(d, "0.log"), "w").close()
        os.symlink(os.path.join(d, "0.log"),
                   os.path.join(root, "containers", f"live-{f}_shop_app-{f:064x}.log"))
    os.makedirs(os.path.join(work, "cgroup"))
    with open(os.path.join(work, "agent.yaml"), "w") as f:
        f.write(f"logs: {a.logs}\n")

    def start_agent(binary, name, sink):
        return subprocess.Popen(
            [binary, "run", "--config", os.path.join(work, "agent.yaml"), "--log-root", root,
             "--state-dir", os.path.join(work, f"state-{name}"), "--cgroup-root", os.path.join(work, "cgroup"),
             "--listen", "127.0.0.1:0", "--port-file", os.path.join(work, f"port-{name}"),
             "--node-name", "bench", "--sink", sink],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"agent-{name}.log"), "w"))

    tools = {"keelson": start_agent(a.agent, "keelson", a.sink)}
    if a.baseline_agent:
        sink = a.sink + "-baseline" if a.sink.startswith("kafka://") else a.sink
        tools["baseline"] = start_agent(a.baseline_agent, "baseline", sink)
    agents = list(tools)  # the keelson-agents: their /metrics say what they delivered
    fb_port = None
    if a.fluent_bit:
        tools["fluent-bit"], fb_port = start_fluent_bit(a.fluent_bit, root, work)
    rows = []
    try:
        ports = {}
        deadline = time.monotonic() + 30
        for name in agents:
            port_file = os.path.join(work, f"port-{name}")
            while not os.path.exists(port_file) or not open(port_file).read().strip():
                if tools[name].poll() is not None or time.monotonic() > deadline:
                    log = open(os.path.join(work, f"agent-{name}.log")).read()[-2000:]
                    sys.exit(f"keelson-agent ({name}) did not start: {log}")
                time.sleep(0.1)
            ports[name] = int(open(port_file).read().strip())
        time.sleep(a.settle)  # both tools open every file; not measured
        for rate in rates:
            for name, p in tools.items():
                if p.poll() is not None:
                    sys.exit(f"{name} exited ({p.returncode})")
            scraped0 = {name: scrape(ports[name]) for name in agents}
            fb0 = fb_read(fb_port) if fb_port else 0
            before = {name: snapshot(p.pid) for name, p in tools.items()}
            written = 0
            if rate > 0:
                writer = subprocess.run([sys.executable, "-c", WRITER, root, str(a.files), str(rate),
                                         str(a.seconds), str(a.tick_ms), MESSAGE],
                                        capture_output=True, text=True, check=True)
                written = int(writer.stdout)
            else:
                time.sleep(a.seconds)
            # Let the last writes arrive (<= 1 s; Fluent Bit flushes every second), then close the window.
            time.sleep(1.5 if rate > 0 else 0)
            after = {name: snapshot(p.pid) for name, p in tools.items()}
            scraped1 = {name: scrape(ports[name]) for name in agents}
            fb1 = fb_read(fb_port) if fb_port else 0
            for name, p in tools.items():
                b, e = before[name], after[name]
                secs = e["t"] - b["t"]
                cpu = cpu_between(b, e)
                row = {"rate": rate, "tool": name, "secs": secs, "cpu": cpu, "written": written,
                       "per_m": cpu / (written / 1e6) if written else None,
                       "core_pct": 100 * cpu / secs, "ms_per_s": 1000 * cpu / secs,
                       "switches_s": (e["switches"] - b["switches"]) / secs,
                       "calls_s": (e["calls"] - b["calls"]) / secs, "rss": proc_status_mib(p.pid, "VmRSS")}
                ticks = (e["user"] - b["user"]) + (e["system"] - b["system"])
                row["system_pct"] = 100 * (e["system"] - b["system"]) / ticks if ticks else None
                # The kernel's share comes in 10 ms ticks: below a second of CPU it says little.
                row["user_cpu"] = cpu * (e["user"] - b["user"]) / ticks if ticks >= CLK_TCK else None
                if name in agents:
                    (delivered0, buckets0), (delivered1, buckets1) = scraped0[name], scraped1[name]
                    row["done"] = delivered1 - delivered0
                    row["p50"] = quantile(buckets0, buckets1, 0.5)
                    row["p99"] = quantile(buckets0, buckets1, 0.99)
                else:
                    row["done"] = fb1 - fb0
                rows.append(row)
                print(f"rate {rate:g}/s per file, {name}: {cpu:.2f} CPU-s in {secs:.1f} s, "
                      f"{row['done']:.0f} of {written} lines", file=sys.stderr, flush=True)
    finally:
        for p in tools.values():
            p.send_signal(signal.SIGTERM)
        for p in tools.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)

    def f(v, spec):
        return "-" if v is None else format(v, spec)

    print(f"\n{a.files} files, {a.seconds:g} s per phase, writes every {a.tick_ms:g} ms, sink {a.sink}")
    print("| lines/s per file | tool | CPU-s per M lines | % of a core | ms CPU per s | wakeups/s | "
          "read+write syscalls/s | in the kernel | RSS MiB | lines done / written | write-to-ack p50 / p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        latency = (f"<= {f(r['p50'], 'g')} s / <= {f(r['p99'], 'g')} s" if r["tool"] in agents
                   and r["written"] else "-")
        print(f"| {r['rate']:g} | {r['tool']} | {f(r['per_m'], '.2f')} | {r['core_pct']:.2f} | "
              f"{r['ms_per_s']:.2f} | {r['switches_s']:.0f} | {r['calls_s']:.0f} | "
              f"{f(r['system_pct'], '.0f')}{'' if r['system_pct'] is None else ' %'} | {r['rss']:.1f} | "
              f"{r['done']:.0f} / {r['written']} | {latency} |")
    if a.baseline_agent:
        print(f"\nkeelson = {a.agent}, baseline = {a.baseline_agent}, in the same window")
        for rate in rates:
            phase = {r["tool"]: r for r in rows if r["rate"] == rate}
            k, b = phase["keelson"], phase["baseline"]
            line = f"{rate:g} lines/s per file: keelson / baseline CPU {k['cpu'] / b['cpu']:.3f}"
            if k["user_cpu"] and b["user_cpu"]:
                line += f", user-space part {k['user_cpu'] / b['user_cpu']:.3f}"
            print(line)


if __name__ == "__main__":
    main()
