#!/usr/bin/env python3
"""Compares Keelson's container metrics with the kubelet's cAdvisor (/metrics/cadvisor) on one node.

    parity.py --kubelet K1 [--kubelet K2 ...] --keelson A [--keelson-time T]
              [--allow tests/e2e/node/parity-allow.txt] [--families REGEX] [--verbose]

K and A are exposition files or http(s) URLs (for the kubelet, --cacert/--cert/--key/--insecure
as curl's). Every series (name + full label set) of the selected families (default ^container_)
must be in both, except where an allow-list rule says otherwise; values must agree as below.
Prints a diff grouped by kind and family and exits 1 on any unexplained difference, 0 otherwise.

Values. The kubelet's cAdvisor serves what its housekeeping collected (every 10-15 s, plus up to
100 % jitter: up to 30 s apart) with that collection's timestamp; Keelson reads the cgroups at
scrape time. So the kubelet is read before and after Keelson (over 30 s apart, so one of its reads
was collected after Keelson's):
  - a counter must lie between the kubelet's last sample collected at or before Keelson's read
    and its first collected at or after it (cgroup counters only grow), with --counter-slack
    (default 1 %) for the collection times being known to the millisecond only;
  - a gauge must lie within the range of the kubelet's samples widened by --gauge-rel
    (default 10 %) or --gauge-abs (default 1 MiB for *_bytes and container_memory_*, else 2): a working set moves
    between two reads, a limit does not (spec_* must be equal: exact);
  - when every kubelet sample was collected on one side of Keelson's read, that side bounds the
    counter (from below or from above) and the other is open.
Families in --exact-families (default container_spec_.*|container_start_time_seconds|
container_ulimits_soft|container_tasks_state|container_cpu_load.*) must be equal (start time:
within 1 s, as the two truncate the mtime differently). container_last_seen is the scrape time
of each: compared within 120 s.

Churn: a cgroup (`id`) missing from any of the kubelet's reads was created or removed between them;
its series are counted as churn, not as differences (read the kubelet at least twice).

Allow-list: one rule a line, '#' starts a comment (write the reason there, and in
dashboards/METRICS.md). FAMILY is a regex matched against the whole family name; MATCHERS are
label=regex pairs, all of which must match the whole label value.
    missing FAMILY [MATCHERS...]   the kubelet has it, Keelson need not
    extra FAMILY [MATCHERS...]     Keelson has it, the kubelet need not
    drop-label FAMILY LABEL [MATCHERS...]  compare without this label where the matchers hold
                                   (e.g. image of the sandbox: container="" name=.+)
    no-value FAMILY [MATCHERS...]  present in both, value not compared
"""
import argparse
import os
import re
import ssl
import sys
import time
import urllib.request
from collections import defaultdict

# --- exposition parsing ---------------------------------------------------------------------------

_SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?\s*$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(v):
    return v.replace('\\n', '\n').replace('\\"', '"').replace('\\\\', '\\')


def parse_labels(text, where):
    labels = {}
    body = text[1:-1]
    pos = 0
    while pos < len(body):
        m = _LABEL.match(body, pos)
        if not m:
            raise ValueError(f"{where}: bad label set {text!r}")
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def parse(text, source):
    """-> (types {family: type}, samples [(name, labels dict, value, timestamp_ms or None)])."""
    types, samples = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith('#'):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == 'TYPE':
                types[parts[2]] = parts[3].strip()
            continue
        m = _SERIES.match(line)
        if not m:
            raise ValueError(f"{source}:{n}: not a sample line: {line[:120]!r}")
        labels = parse_labels(m.group(2), f"{source}:{n}") if m.group(2) else {}
        value = float(m.group(3))
        ts = int(m.group(4)) if m.group(4) else None
        samples.append((m.group(1), labels, value, ts))
    return types, samples


def key(name, labels):
    return (name, tuple(sorted((k, v) for k, v in labels.items() if v != '')))


def fmt(k):
    name, labels = k
    return name + '{' + ','.join(f'{a}="{b}"' for a, b in labels) + '}'


def fetch(source, args):
    """Reads a file or URL; returns (text, wall time of the read in ms)."""
    if re.match(r'^https?://', source):
        ctx = ssl.create_default_context(cafile=args.cacert) if args.cacert else None
        if args.insecure:
            ctx = ssl._create_unverified_context()  # noqa: S323 - explicit --insecure
        if ctx and args.cert:
            ctx.load_cert_chain(args.cert, args.key)
        started = time.time()
        with urllib.request.urlopen(source, context=ctx, timeout=60) as r:
            body = r.read().decode()
        return body, int((started + time.time()) / 2 * 1000)
    with open(source) as f:
        return f.read(), int(os.stat(source).st_mtime * 1000)


# --- allow-list -----------------------------------------------------------------------------------

class Rule:
    def __init__(self, kind, family, matchers, label, line):
        self.kind, self.family, self.matchers, self.label, self.line = (
            kind, re.compile(family), matchers, label, line)
        self.used = 0

    def matches(self, k):
        name, labels = k
        if not self.family.fullmatch(name):
            return False
        d = dict(labels)
        return all(rx.fullmatch(d.get(lbl, '')) for lbl, rx in self.matchers)


def load_rules(path):
    rules = []
    if not path:
        return rules
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            kind = parts[0]
            if kind not in ('missing', 'extra', 'drop-label', 'no-value') or len(parts) < 2:
                raise ValueError(f"{path}:{n}: unknown rule {raw.strip()!r} "
                                 "(missing|extra|drop-label|no-value FAMILY ...)")
            label, matchers = None, []
            rest = parts[2:]
            if kind == 'drop-label':
                if not rest or '=' in rest[0]:
                    raise ValueError(f"{path}:{n}: drop-label FAMILY LABEL [MATCHERS...]")
                label, rest = rest[0], rest[1:]
            if True:
                for m in rest:
                    if '=' not in m:
                        raise ValueError(f"{path}:{n}: matcher {m!r} is not label=regex")
                    lbl, rx = m.split('=', 1)
                    matchers.append((lbl, re.compile(rx)))
            rules.append(Rule(kind, parts[1], matchers, label, f"{path}:{n}: {raw.strip()}"))
    return rules


def first_rule(rules, kind, k):
    for r in rules:
        if r.kind == kind and r.matches(k):
            r.used += 1
            return r
    return None


# --- comparison -----------------------------------------------------------------------------------

def index(samples, families, rules):
    """-> {key: [(value, ts)]} for the selected families, with drop-label rules applied."""
    out = defaultdict(list)
    for name, labels, value, ts in samples:
        if not families.fullmatch(name):
            continue
        labels = dict(labels)
        for r in rules:
            if r.kind == 'drop-label' and r.matches(key(name, labels)) and r.label in labels:
                labels.pop(r.label)
                r.used += 1
        out[key(name, labels)].append((value, ts))
    return out


def compare(kubelet_reads, keelson_read, args, rules):
    """kubelet_reads: [(types, samples, read_ms)]; keelson_read: (types, samples, read_ms).
    Returns {kind: [(family, text)]}."""
    families = re.compile(args.families)
    exact = re.compile(args.exact_families)
    k_types, k_samples, k_time = keelson_read
    keel = index(k_samples, families, rules)
    kube = defaultdict(list)  # key -> [(value, ts_ms)] across reads
    types = {}
    seen_in = defaultdict(int)  # key -> number of kubelet reads that have it
    ids_in = defaultdict(int)  # cgroup id -> number of kubelet reads that have it
    for t, samples, read_ms in kubelet_reads:
        types.update(t)
        read = index(samples, families, rules)
        for kk, vals in read.items():
            kube[kk].extend((v, ts if ts is not None else read_ms) for v, ts in vals)
            seen_in[kk] += 1
        for cid in {dict(kk[1]).get('id', '') for kk in read}:
            ids_in[cid] += 1
    reads = len(kubelet_reads)

    def churn(kk):
        # A container created or removed between the reads is not a difference: only series of
        # cgroups the kubelet reported in every read count.
        return ids_in[dict(kk[1]).get('id', '')] < reads
    types.update({k: v for k, v in k_types.items() if k not in types})
    problems = defaultdict(list)
    allowed = defaultdict(int)

    for kk in sorted(set(kube) | set(keel)):
        name = kk[0]
        if kk not in keel and (seen_in[kk] < reads or churn(kk)):
            allowed['churn'] += 1
            continue
        if kk not in kube and churn(kk):
            allowed['churn'] += 1
            continue
        if kk not in keel:
            if first_rule(rules, 'missing', kk):
                allowed['missing'] += 1
            else:
                problems['missing in keelson'].append((name, fmt(kk)))
            continue
        if kk not in kube:
            if first_rule(rules, 'extra', kk):
                allowed['extra'] += 1
            else:
                problems['extra in keelson'].append((name, fmt(kk)))
            continue
        if len(keel[kk]) > 1:
            problems['duplicate in keelson'].append((name, fmt(kk)))
            continue
        if first_rule(rules, 'no-value', kk):
            allowed['no-value'] += 1
            continue
        v = keel[kk][0][0]
        ok, want = check_value(name, types.get(name, 'untyped'), v, kube[kk], k_time, exact, args)
        if not ok:
            problems['value differs'].append((name, f"{fmt(kk)} keelson={v:g} kubelet={want}"))
    unused = [r.line for r in rules if r.used == 0]
    return problems, allowed, unused


def check_value(name, typ, v, kube_vals, t_ms, exact, args):
    vals = sorted(kube_vals, key=lambda x: x[1])
    shown = ', '.join(f"{x:g}@{ts}" for x, ts in vals)
    if name == 'container_last_seen':
        return abs(v - vals[-1][0]) <= 120, shown
    if name == 'container_start_time_seconds':
        return any(abs(v - x) <= 1 for x, _ in vals), shown
    if exact.fullmatch(name):
        return any(v == x for x, _ in vals), shown
    if typ == 'counter':
        before = [x for x, ts in vals if ts <= t_ms]
        after = [x for x, ts in vals if ts >= t_ms]
        if before and after:
            lo, hi = before[-1], after[0]
            slack = args.counter_slack * max(abs(lo), abs(hi))
            if hi < lo:
                # The kubelet itself saw the counter go down: a cgroup's recursive counter (blkio
                # at /kubepods) loses a removed child's counts. Between the two reads it was at
                # most the earlier value; how low it went is not known.
                return 0 <= v <= lo + slack, shown
            return lo - slack <= v <= hi + slack, shown
        # Only one side known (the kubelet's reads were all collected before, or all after,
        # Keelson's): a counter only grows, so that side bounds it.
        if before:
            return v >= before[-1] - args.counter_slack * abs(before[-1]), shown
        return v <= after[0] + args.counter_slack * abs(after[0]), shown
    lo = min(x for x, _ in vals)
    hi = max(x for x, _ in vals)
    in_bytes = name.endswith('_bytes') or name.startswith('container_memory_')
    abs_tol = args.gauge_abs_bytes if in_bytes else args.gauge_abs
    margin = max(abs_tol, args.gauge_rel * max(abs(lo), abs(hi)))
    return lo - margin <= v <= hi + margin, shown


def report(problems, allowed, unused, out):
    total = sum(len(v) for v in problems.values())
    for kind in ('missing in keelson', 'extra in keelson', 'duplicate in keelson',
                 'value differs'):
        items = problems.get(kind, [])
        if not items:
            continue
        by_family = defaultdict(list)
        for fam, text in items:
            by_family[fam].append(text)
        print(f"== {kind}: {len(items)} series in {len(by_family)} families", file=out)
        for fam in sorted(by_family):
            print(f"  {fam} ({len(by_family[fam])})", file=out)
            for text in by_family[fam][:args_limit]:
                print(f"    {text}", file=out)
            if len(by_family[fam]) > args_limit:
                print(f"    ... {len(by_family[fam]) - args_limit} more", file=out)
    if allowed:
        print("== allowed by the allow-list: " +
              ', '.join(f"{k} {v}" for k, v in sorted(allowed.items())), file=out)
    for line in unused:
        print(f"== note: rule never used: {line}", file=out)
    print(f"== {'PARITY' if total == 0 else 'DIFFERENCES'}: {total} unexplained", file=out)
    return total


args_limit = 20


def main(argv=None):
    global args_limit
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--kubelet', action='append', required=True,
                   help='the kubelet /metrics/cadvisor exposition (file or URL); repeat: reads '
                        'before and after Keelson\'s')
    p.add_argument('--keelson', required=True, help="Keelson's exposition (file or URL)")
    p.add_argument('--keelson-time', type=float,
                   help="when Keelson's was read (Unix seconds; default: the file's mtime or the "
                        "time of the URL read)")
    p.add_argument('--allow', help='allow-list of documented exceptions')
    p.add_argument('--families', default=r'container_.*', help='families compared (regex)')
    p.add_argument('--exact-families',
                   default=r'container_spec_.*|container_ulimits_soft|container_tasks_state|'
                           r'container_cpu_load.*')
    p.add_argument('--counter-slack', type=float, default=0.01)
    p.add_argument('--gauge-rel', type=float, default=0.10)
    p.add_argument('--gauge-abs', type=float, default=2)
    p.add_argument('--gauge-abs-bytes', type=float, default=1 << 20)
    p.add_argument('--limit', type=int, default=20, help='series shown per family')
    p.add_argument('--cacert')
    p.add_argument('--cert')
    p.add_argument('--key')
    p.add_argument('--insecure', action='store_true')
    args = p.parse_args(argv)
    args_limit = args.limit
    try:
        rules = load_rules(args.allow)
        kubelet_reads = []
        for src in args.kubelet:
            text, read_ms = fetch(src, args)
            types, samples = parse(text, src)
            kubelet_reads.append((types, samples, read_ms))
        text, read_ms = fetch(args.keelson, args)
        if args.keelson_time is not None:
            read_ms = int(args.keelson_time * 1000)
        k_types, k_samples = parse(text, args.keelson)
    except (OSError, ValueError) as e:
        print(f"parity: {e}", file=sys.stderr)
        return 2
    problems, allowed, unused = compare(kubelet_reads, (k_types, k_samples, read_ms), args, rules)
    return 1 if report(problems, allowed, unused, sys.stdout) else 0


if __name__ == '__main__':
    sys.exit(main())
