#!/usr/bin/env python3
"""keelson-agent `ship` beside Fluent Bit on the same corpus, in the same run, per rule kind
(tests/bench/fluentbit/README.md). Prints CPU-seconds per million lines, peak RSS and the ratio.

Each kind is one corpus of CRI lines (100-200 bytes of message) under a kubelet log root on tmpfs
and one configuration for each tool that does the same job:

  plain      no rules                  Fluent Bit: tail + multiline.parser cri -> null
  multiline  Java stack traces joined  keelson: multiline [{parser: java}]
                                       Fluent Bit: + filter multiline (multiline.parser java)
  json       JSON bodies parsed        keelson: parse_json (into log_processed, log kept)
                                       Fluent Bit: + filter parser (json, reserve_data, preserve_key)
  redact     card numbers masked       keelson: redact [{builtin: card}] (Luhn-checked)
                                       Fluent Bit: + filter lua (string.gsub of 4x4 digits; no Luhn)

keelson-agent runs `ship` (one pass over every file, then exits) into `file:/dev/null`, with the
Kubernetes metadata it takes from the path in every record; Fluent Bit runs until its tail input
has read every line and its null output has received no record for 2.5 s (its flush interval
is 1 s; polled on its HTTP server every 100 ms), then is stopped; its CPU is taken at the last
poll that saw a record arrive, so the idle wait is not charged to it. CPU is utime+stime of the process (all threads: getrusage
of the reaped child for keelson, /proc/<pid>/stat for Fluent Bit read before it is stopped);
RSS is the peak, VmHWM from /proc (read every 5 ms for keelson until it exits). Rounds alternate the tools. Run it alone: on 2 cores
anything else running changes the figures.

  tests/bench/fluentbit/compare.py --fluent-bit "$(tests/bench/fluentbit/build.sh REPO)"
  tests/bench/fluentbit/compare.py --fluent-bit FB --kinds plain --files 500 --lines 1000000
  tests/bench/fluentbit/compare.py --baseline-agent /tmp/before/build-release/agent/keelson-agent \
      --kinds plain --rounds 6     # a before/after of keelson itself, no Fluent Bit needed
"""
import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")
KINDS = ("plain", "multiline", "json", "redact")

KEELSON_CONFIG = {
    "plain": "logs: {}\n",
    "multiline": "logs:\n  multiline:\n    - parser: java\n",
    "json": "logs:\n  parse_json: {into: log_processed}\n",
    "redact": "logs:\n  redact:\n    - builtin: card\n",
}

FB_FILTERS = {
    "plain": "",
    "multiline": """
[FILTER]
    name                  multiline
    match                 *
    multiline.key_content log
    multiline.parser      java
""",
    "json": """
[FILTER]
    name         parser
    match        *
    key_name     log
    parser       json
    reserve_data on
    preserve_key on
""",
    "redact": """
[FILTER]
    name   lua
    match  *
    script {dir}/redact.lua
    call   redact
""",
}

FB_LUA = """
function redact(tag, ts, record)
  local l = record["log"]
  if l == nil then return 0, ts, record end
  local out, n = string.gsub(l, "%d%d%d%d[ -]?%d%d%d%d[ -]?%d%d%d%d[ -]?%d%d%d%d", "[REDACTED]")
  if n == 0 then return 0, ts, record end
  record["log"] = out
  return 1, ts, record
end
"""

FB_PARSERS = """
[PARSER]
    name   json
    format json
"""


def luhn_card(rng):
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def pad(rng, text):
    """A message of 100-200 bytes: text, then filler words."""
    want = rng.randrange(100, 201)
    while len(text) < want:
        text += " " + rng.choice(("cart", "sku", "latency", "region=eu-west-1", "cache=hit",
                                  "retry=0", "pool=7", "tenant=shop"))
    return text[:want]


def messages(kind, rng):
    """Endless message bodies for one file of a kind (each one CRI line)."""
    n = 0
    while True:
        n += 1
        if kind == "multiline" and rng.random() < 0.03:
            yield f"java.lang.IllegalStateException: order {n} not found in the payment ledger"
            for depth in range(rng.randrange(6, 12)):
                yield f"\tat com.shop.order.OrderService.step{depth}(OrderService.java:{100 + depth})"
            if rng.random() < 0.5:
                yield "Caused by: java.sql.SQLTransientConnectionException: pool exhausted after 30000ms"
                yield "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:196)"
                yield f"\t... {rng.randrange(5, 40)} more"
            continue
        if kind == "json":
            body = json.dumps({"level": rng.choice(("info", "info", "warn", "debug")), "msg":
                               f"GET /api/products/{n} 200", "latency_ms": rng.randrange(1, 900),
                               "user": {"id": rng.randrange(10**6), "tier": "gold"},
                               "trace_id": "%032x" % rng.getrandbits(128)}, separators=(",", ":"))
            yield body
            continue
        text = f"INFO [req-{n:08d}] GET /api/products/{rng.randrange(10**5)} 200 {rng.randrange(900)}ms"
        if kind == "redact":
            r = rng.random()
            if r < 0.1:
                text = f"INFO payment accepted card {luhn_card(rng)} amount {rng.randrange(10**4)}"
            elif r < 0.2:
                text = f"INFO order {rng.randrange(10**15, 10**16)} shipped"
        yield pad(rng, text)


def write_corpus(root, kind, files, lines):
    rng = random.Random(f"{kind}/{files}/{lines}")
    per_file = lines // files
    for f in range(files):
        directory = os.path.join(root, "pods", f"shop_{kind}-{f}_uid-{f:04d}", "app")
        os.makedirs(directory)
        source = messages(kind, rng)
        with open(os.path.join(directory, "0.log"), "w", buffering=1 << 20) as out:
            for i in range(per_file):
                out.write(f"2026-12-03T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}000000Z "
                          f"stdout F {next(source)}\n")
    return per_file * files


def run_keelson(agent, root, config_path, work):
    state = tempfile.mkdtemp(dir=work, prefix="state-")
    start = time.monotonic()
    proc = subprocess.Popen([agent, "ship", "--log-root", root, "--sink", "file:/dev/null",
                             "--state-dir", state, "--node-name", "bench", "--config", config_path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Its peak RSS from /proc (VmHWM, read every 5 ms until it exits): ru_maxrss of a child
    # forked from this Python process keeps the parent's resident size from before the exec.
    hwm = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        try:
            hwm = max(hwm, proc_status_mib(proc.pid))
        except OSError:
            pass
        time.sleep(0.005)
    wall = time.monotonic() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    shutil.rmtree(state)
    if status != 0:
        sys.exit(f"keelson-agent ship failed ({status}): {err or out}")
    return {"cpu": usage.ru_utime + usage.ru_stime, "rss_mib": hwm, "wall": wall,
            "note": out.strip()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fb_metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/metrics", timeout=2) as r:
        return json.load(r)


def proc_ticks(pid):
    """(utime, stime) of /proc/<pid>/stat, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def proc_cpu(pid):
    return sum(proc_ticks(pid)) / CLK_TCK


def proc_status_mib(pid, key="VmHWM"):
    """A /proc/<pid>/status size in MiB: VmHWM (peak RSS) or VmRSS (now)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def fluent_bit_config(root, port, filters="", parsers_file=None):
    """Fluent Bit as the comparisons run it: `tail` + `multiline.parser cri` over every container
    log under `root` (from the head, new files looked for every second), then `filters`, into
    `null`; flush every second (its default); its HTTP server on 127.0.0.1:`port` for the counts."""
    parsers = f"    parsers_file {parsers_file}\n" if parsers_file else ""
    return f"""
[SERVICE]
    flush        1
    log_level    error
{parsers}    http_server  on
    http_listen  127.0.0.1
    http_port    {port}

[INPUT]
    name              tail
    path              {root}/pods/*/*/*.log
    multiline.parser  cri
    read_from_head    true
    refresh_interval  1
{filters}
[OUTPUT]
    name  null
    match *
"""


def run_fluent_bit(fb, root, kind, lines, work, timeout):
    port = free_port()
    conf_dir = tempfile.mkdtemp(dir=work, prefix="fb-")
    with open(os.path.join(conf_dir, "parsers.conf"), "w") as f:
        f.write(FB_PARSERS)
    with open(os.path.join(conf_dir, "redact.lua"), "w") as f:
        f.write(FB_LUA)
    conf = os.path.join(conf_dir, "fluent-bit.conf")
    with open(conf, "w") as f:
        f.write(fluent_bit_config(root, port, FB_FILTERS[kind].format(dir=conf_dir),
                                  f"{conf_dir}/parsers.conf"))
    start = time.monotonic()
    proc = subprocess.Popen([fb, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        last, stable, read = None, 0, 0
        while True:
            if proc.poll() is not None:
                sys.exit(f"fluent-bit exited ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() - start > timeout:
                sys.exit(f"fluent-bit: not done after {timeout} s (read {read} of {lines} lines)")
            time.sleep(0.1)
            try:
                m = fb_metrics(port)
            except OSError:
                continue
            read = sum(v.get("records", 0) for k, v in m.get("input", {}).items() if k.startswith("tail"))
            out = sum(v.get("proc_records", 0) for v in m.get("output", {}).values())
            cpu = proc_cpu(proc.pid)
            if read >= lines and out > 0 and out == last:
                stable += 1
                if stable >= 25:  # 2.5 s (flush is 1 s) without a record out: the last was
                    break
            else:
                stable, done_cpu, done_wall = 0, cpu, time.monotonic() - start
            last = out
        return {"cpu": done_cpu, "rss_mib": proc_status_mib(proc.pid), "wall": done_wall,
                "note": f"{read} lines read, {out} records out"}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(conf_dir)


def span(values, fmt="{:.2f}"):
    return (fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "-" +
            fmt.format(max(values)) + ")")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fluent-bit", help="the fluent-bit binary (build.sh prints it)")
    ap.add_argument("--agent", default=os.path.join(REPO, "build-release", "agent", "keelson-agent"))
    ap.add_argument("--baseline-agent", help="another keelson-agent build (e.g. of the commit "
                    "before a change) run the same way, alternating, as a column of its own")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm", help="where the corpus is written (tmpfs)")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    for kind in a.kinds.split(","):
        if kind not in KINDS:
            sys.exit(f"--kinds: unknown kind '{kind}' (known: {', '.join(KINDS)})")
    if not a.fluent_bit and not a.baseline_agent:
        sys.exit("give --fluent-bit BIN, --baseline-agent BIN or both: keelson is measured beside them")
    tools = [("keelson", a.agent)]
    if a.baseline_agent:
        tools.append(("baseline", a.baseline_agent))
    if a.fluent_bit:
        tools.append(("fluent-bit", a.fluent_bit))
    for _, path in tools:
        if not os.access(path, os.X_OK):
            sys.exit(f"{path}: not an executable (build keelson with `cmake --preset release && "
                     "cmake --build --preset release --target keelson-agent`, Fluent Bit with build.sh)")
    work = tempfile.mkdtemp(dir=a.dir, prefix="keelson-fb-bench-")
    rows = []
    try:
        for kind in a.kinds.split(","):
            root = os.path.join(work, "root-" + kind)
            lines = write_corpus(root, kind, a.files, a.lines)
            config_path = os.path.join(work, kind + ".yaml")
            with open(config_path, "w") as f:
                f.write(KEELSON_CONFIG[kind])
            results = {tool: [] for tool, _ in tools}
            for r in range(a.rounds):
                # Each round starts with the next tool, so none always runs first.
                order = tools[r % len(tools):] + tools[:r % len(tools)]
                for tool, path in order:
                    res = (run_fluent_bit(path, root, kind, lines, work, a.timeout)
                           if tool == "fluent-bit" else run_keelson(path, root, config_path, work))
                    res["per_m"] = res["cpu"] / (lines / 1e6)
                    results[tool].append(res)
                    print(f"{kind:9} round {r + 1} {tool:10} {res['cpu']:.2f} CPU-s  "
                          f"{res['per_m']:.3f} CPU-s/M lines  RSS {res['rss_mib']:.1f} MiB  "
                          f"wall {res['wall']:.1f} s  ({res['note']})", file=sys.stderr, flush=True)
            shutil.rmtree(root)
            rows.append((kind, results))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{a.files} file(s), {a.lines} lines, {a.rounds} rounds; CPU-s per million lines and peak "
          "RSS: median (min-max)")
    names = [tool for tool, _ in tools]
    print("| kind | " + " | ".join(f"{t} CPU-s/M | {t} RSS MiB" for t in names) + "".join(
        f" | {t} / keelson" for t in names[1:]) + " |")
    print("|---" * (1 + 2 * len(names) + len(names) - 1) + "|")
    for kind, results in rows:
        per_m = {t: [x["per_m"] for x in results[t]] for t in names}
        cells = [f"{span(per_m[t], '{:.3f}')} | {span([x['rss_mib'] for x in results[t]], '{:.1f}')}"
                 for t in names]
        ratios = [f"{statistics.median(per_m[t]) / statistics.median(per_m['keelson']):.2f}x"
                  for t in names[1:]]
        print(f"| {kind} | " + " | ".join(cells + ratios) + " |")


if __name__ == "__main__":
    main()
