#!/usr/bin/env python3
"""Finds build outputs that ninja considers up to date but that were built from older sources.

Ninja 1.11 (Debian bookworm) records each output's own mtime in .ninja_log. When a source or
header changes while the command that reads it is still running (a checkout, merge or edit during
a build), the output is written afterwards, is newer than every input, and is never rebuilt: the
build keeps an object compiled from the old text. Linked with objects compiled from the new text,
that is an ODR violation (e.g. a struct with a different size on each side of a call). Newer
ninja releases record the command's start time instead (ninja-build/ninja#1943).

    cmake/stale-objects.py build-asan          list them (exit 1 if any)
    cmake/stale-objects.py build-asan --fix    delete them, so the next build recompiles them

An output is stale when one of its inputs (the dependencies ninja recorded from the compiler's
depfile) was last modified after its command started and no later than the output itself.
"""
import argparse
import os
import subprocess
import sys


def read_log(build):
    """output -> (start_ms, end_ms) of its last recorded command."""
    entries = {}
    with open(os.path.join(build, ".ninja_log"), encoding="utf-8") as log:
        for line in log:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 5:
                entries[fields[3]] = (int(fields[0]), int(fields[1]))
    return entries


def read_deps(build):
    """output -> its recorded inputs (`ninja -t deps`)."""
    text = subprocess.run(["ninja", "-C", build, "-t", "deps"], check=True, capture_output=True,
                          text=True).stdout
    deps, current = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = line.split(":", 1)[0]
            deps[current] = []
        elif line.strip() and current is not None:
            deps[current].append(line.strip())
    return deps


def mtime_ns(path):
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir")
    parser.add_argument("--fix", action="store_true", help="delete the stale outputs")
    args = parser.parse_args()
    build = args.build_dir
    log = read_log(build)
    stale = {}
    for output, inputs in read_deps(build).items():
        if output not in log:
            continue
        output_path = os.path.join(build, output)
        output_mtime = mtime_ns(output_path)
        if output_mtime is None:
            continue
        start_ms, end_ms = log[output]
        # The log has durations relative to the build's start; the output's mtime is the end.
        started = output_mtime - (end_ms - start_ms) * 1_000_000
        for source in inputs:
            source_mtime = mtime_ns(source if os.path.isabs(source) else os.path.join(build, source))
            if source_mtime is not None and started < source_mtime <= output_mtime:
                stale.setdefault(output, []).append(
                    f"{source} changed {(source_mtime - started) / 1e9:.1f} s after the command "
                    f"started ({(end_ms - start_ms) / 1000:.0f} s long)")
    for output, reasons in sorted(stale.items()):
        print(f"stale: {output}")
        for reason in reasons:
            print(f"  {reason}")
        if args.fix:
            os.remove(os.path.join(build, output))
    if not stale:
        print(f"{build}: no stale outputs")
    elif args.fix:
        print(f"deleted {len(stale)} stale output(s); rebuild to recompile them")
    return 1 if stale and not args.fix else 0


if __name__ == "__main__":
    sys.exit(main())
