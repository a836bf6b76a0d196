#!/usr/bin/env python3
"""Every source file under agent/, autoscaler/ and collectors/ has its mirrored unit test.

A source `<dir>/<name>.cpp` or `.h` is tested by `tests/unit/<dir>/<name>_test.cpp` (a .h/.cpp
pair shares one test), or is listed in tests/lint/untested-sources.txt with the reason it has
none. Also refused: an allow-list entry without a reason, one that names no source (the file was
removed or renamed: drop the entry) or one whose source has a mirrored test after all (drop the
entry), and a tests/unit/**/*_test.cpp that mirrors no source.
Usage: tests/lint/mirror_tests.py [ROOT]   (exit 1 and one line per problem)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
AREAS = ("agent", "autoscaler", "collectors")
ALLOW = "tests/lint/untested-sources.txt"


def files(*pathspecs):
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "--cached", "--others",
                          "--exclude-standard", "--", *pathspecs],
                         check=True, capture_output=True, text=True)
    return [f for f in out.stdout.splitlines() if os.path.isfile(os.path.join(ROOT, f))]


def main():
    problems = []
    sources = {re.sub(r"\.(cpp|h)$", "", f)
               for f in files(*(f"{a}/*.cpp" for a in AREAS), *(f"{a}/*.h" for a in AREAS))}
    tests = {re.sub(r"^tests/unit/|_test\.cpp$", "", f) for f in files("tests/unit/*_test.cpp")}

    allowed = {}
    with open(os.path.join(ROOT, ALLOW), encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            stem, _, reason = line.partition(":")
            stem, reason = stem.strip(), reason.strip()
            where = f"{ALLOW}:{no}"
            if not reason:
                problems.append(f"{where}: {stem}: no reason given ('<path without extension>: reason')")
            if stem in allowed:
                problems.append(f"{where}: {stem} is listed twice")
            if stem not in sources:
                problems.append(f"{where}: {stem} names no source file under {', '.join(AREAS)}/ "
                                "(removed or renamed?): drop or fix the entry")
            elif stem in tests:
                problems.append(f"{where}: {stem} has tests/unit/{stem}_test.cpp: drop the entry")
            allowed[stem] = reason

    for stem in sorted(sources - tests - allowed.keys()):
        exts = "/".join("." + e for e in ("h", "cpp") if os.path.exists(os.path.join(ROOT, f"{stem}.{e}")))
        problems.append(f"{stem}{exts}: no tests/unit/{stem}_test.cpp and no entry in {ALLOW}")
    for stem in sorted(tests - sources):
        problems.append(f"tests/unit/{stem}_test.cpp mirrors no source ({stem}.cpp or .h)")

    for p in problems:
        print(p)
    if problems:
        print(f"mirror_tests: {len(problems)} problem(s); tests/unit/ mirrors the source tree "
              "(tests/lint/README.md)", file=sys.stderr)
        return 1
    print(f"mirror_tests: {len(sources)} sources: {len(sources & tests)} with their mirrored test, "
          f"{len(allowed)} with a listed reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
