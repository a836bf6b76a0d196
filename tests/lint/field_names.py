#!/usr/bin/env python3
"""Data members are snake_case: public fields `min_replicas`, private members `min_replicas_`,
constants `kMaxReplicas`; functions and methods stay camelCase (README.md, "Building by hand").

Checks the data-member declarations of every struct and class in the C++ sources under agent/,
autoscaler/, collectors/ and tests/: a line at the top level of a struct/class body that declares
a variable (`Type name;`, `Type name = ...;`, `Type name{...};`, `Type a, b;`) whose name has an
upper-case letter and is not a `k` constant. Heuristic by design (no C++ parser): it reads one
declaration per line as clang-format writes them, which is how every member here is declared.

    tests/lint/field_names.py [REPO]     # prints file:line: name for each offender; rc 1 if any
"""
import os
import re
import sys

ROOTS = ("agent", "autoscaler", "collectors", "tests")
OPEN = re.compile(r"^\s*(?:template\s*<[^>]*>\s*)?(?:struct|class)\s+\w+(?:\s+final)?(?:\s*:\s*[^{;]*)?\s*\{\s*$")
MEMBER = re.compile(
    r"^\s+(?:(?:static|inline|mutable|const|constexpr)\s+)*"
    r"(?:std::function<[^;]*>|[A-Za-z_][\w:<>,\s*&]*?[\s*&>])"
    r"(?P<names>[A-Za-z_]\w*(?:\[[^]]*\])?(?:\s*,\s*[A-Za-z_]\w*)*)"
    r"\s*(?:=[^;]*|\{[^;]*\})?;$")
KEYWORDS = {"return", "using", "typedef", "friend", "public", "private", "protected", "delete", "throw",
            "co_return", "goto", "case"}


def strip(line):
    """The line without a // comment or string contents (enough to count braces)."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "''", line)
    return line.split("//", 1)[0].rstrip()


def offenders(path):
    depth = []  # brace depth inside each open struct/class body
    in_comment = False
    for number, raw in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        line = strip(raw)
        if in_comment:
            if "*/" not in line:
                continue
            line, in_comment = line.split("*/", 1)[1], False
        if "/*" in line and "*/" not in line:
            line, in_comment = line.split("/*", 1)[0], True
        if OPEN.match(line):
            depth.append(0)
            continue
        if not depth:
            continue
        if (depth[-1] == 0 and "(" not in line.split("=", 1)[0].split("{", 1)[0]
                and line.count("(") == line.count(")")):
            m = MEMBER.match(line)
            if m and not KEYWORDS & set(re.findall(r"\w+", line)):
                for name in re.split(r"\s*,\s*", m.group("names")):
                    name = name.split("[", 1)[0]
                    # Upper-case first: a type (`struct Impl;`) or a named constant of the class.
                    if re.fullmatch(r"[a-z]\w*[A-Z]\w*", name) and not re.fullmatch(r"k[A-Z]\w*", name):
                        yield number, name
        depth[-1] += line.count("{") - line.count("}")
        if depth[-1] < 0:
            depth.pop()


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    bad = 0
    for root in ROOTS:
        for directory, _, files in os.walk(os.path.join(repo, root)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(directory, name)
                for number, member in offenders(path):
                    print(f"{os.path.relpath(path, repo)}:{number}: data member '{member}' is not snake_case")
                    bad += 1
    if bad:
        print(f"field_names: {bad} data member(s) not snake_case (struct fields `a_b`, private "
              "members `a_b_`, constants `kAb`)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
