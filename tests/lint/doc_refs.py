#!/usr/bin/env python3
"""Every documentation reference resolves inside the repository.

Checked in every tracked (or new, not ignored) text file:
  - relative Markdown links `[text](path#anchor)` in *.md: the path exists (relative to the
    file's directory) and, when given, the anchor is one of the target's headings (GitHub's
    slugs);
  - any mention of a `*.md` file (`see agent/README.md`) in Markdown, and in the comments of
    sources, CMake, YAML and scripts: it exists relative to the file's directory or to the
    repository root;
  - a section named after a `*.md` mention (`agent/README.md, "Commands"`, `X.md ("Y")`): the
    target has a heading, or a bold lead-in (`**Y**`), that starts with it;
  - in Markdown, a path in backticks that starts with a top-level directory and ends in a
    source extension (`collectors/logs/tailer.cpp`): it exists (globs and `{a,b}` forms are
    skipped; `<...>`, `...` placeholders too).
Usage: tests/lint/doc_refs.py [ROOT]   (exit 1 and one line per broken reference)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
TEXT_EXT = (".md", ".h", ".cpp", ".cmake", ".txt", ".yaml", ".yml", ".sh", ".py", ".json")
TOP = ("agent", "autoscaler", "collectors", "dashboards", "deploy", "tests", "cmake", ".ci")
CODE_EXT = (".h", ".cpp", ".py", ".sh", ".yaml", ".yml", ".json", ".md", ".cmake", ".txt")

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MD_MENTION = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
TICKED = re.compile(r"`([^`\s]+)`")
SECTION = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(?:'s)?(?:,\s*| \()(?:section\s+)?\"([^\"]+)\"")


def tracked_files():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "--cached", "--others",
                          "--exclude-standard"], check=True, capture_output=True, text=True)
    return sorted({f for f in out.stdout.splitlines() if os.path.isfile(os.path.join(ROOT, f))})


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)  # GitHub keeps letters, digits, '_', '-' and spaces
    return s.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen, result, fence = {}, set(), False
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("```"):
                    fence = not fence
                m = None if fence else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    base = slug(re.sub(r"`|\*\*|\[|\]\([^)]*\)", "", m.group(1)))
                    n = seen.get(base, 0)
                    seen[base] = n + 1
                    result.add(base if n == 0 else f"{base}-{n}")
        _anchors[path] = result
    return _anchors[path]


def comment(rel, line):
    """The comment part of a line of code (references in strings are the code's business)."""
    marker = "//" if rel.endswith((".h", ".cpp")) else "#"
    if rel.endswith((".json", ".md")):
        return ""
    at = line.find(marker)
    return line[at:] if at >= 0 else ""


_sections = {}


def sections(path):
    """Headings and bold lead-ins of a Markdown file, as plain lower-case text."""
    if path not in _sections:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        found = re.findall(r"^#{1,6}\s+(.*)$", text, re.M) + re.findall(r"\*\*([^*]+)\*\*", text)
        _sections[path] = [re.sub(r"[`*]", "", x).strip().lower() for x in found]
    return _sections[path]


def candidates(rel_file, ref):
    """`ref` relative to the file's directory, then to the root (a bare README.md in agent/ may
    mean agent/README.md or the top-level one)."""
    here = os.path.dirname(os.path.join(ROOT, rel_file))
    paths = [os.path.normpath(os.path.join(base, ref)) for base in (here, ROOT)]
    return [p for p in dict.fromkeys(paths) if os.path.isfile(p)]


def exists(rel_file, ref):
    here = os.path.dirname(os.path.join(ROOT, rel_file))
    return any(os.path.exists(os.path.normpath(os.path.join(base, ref))) for base in (here, ROOT))


def main():
    problems = []
    for rel in tracked_files():
        if not rel.endswith(TEXT_EXT) and os.path.basename(rel) != "CMakeLists.txt":
            continue
        if rel.startswith("tests/fixtures/") or rel.startswith("tests/fuzz/corpus/"):
            continue
        path = os.path.join(ROOT, rel)
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        is_md = rel.endswith(".md")
        for no, line in enumerate(lines, 1):
            where = f"{rel}:{no}"
            if is_md:
                for target in LINK.findall(line):
                    if re.match(r"[a-z]+:", target):
                        continue
                    file_part, _, anchor = target.partition("#")
                    full = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
                        if file_part else path
                    if not os.path.exists(full):
                        problems.append(f"{where}: link target {target} does not exist")
                    elif anchor and full.endswith(".md") and anchor not in anchors(full):
                        problems.append(f"{where}: {target}: no heading with anchor #{anchor}")
                for ref in TICKED.findall(line):
                    ref = ref.rstrip(".,:;)")
                    if (ref.split("/")[0] in TOP and "/" in ref and ref.endswith(CODE_EXT)
                            and not re.search(r"[*?{}<>]|\.\.\.|…", ref)
                            and not exists(rel, ref)):
                        problems.append(f"{where}: `{ref}` does not exist")
            text = line if is_md else comment(rel, line)
            for ref in MD_MENTION.findall(re.sub(r"https?://\S+", "", text)):
                if re.search(r"[*?{}<>]", ref):
                    continue
                if not exists(rel, ref):
                    problems.append(f"{where}: {ref} does not exist in the repository")
            for ref, section in SECTION.findall(text):
                want = re.sub(r"[`*]", "", section).strip().lower()
                found = candidates(rel, ref)
                if found and not any(h.startswith(want) for f in found for h in sections(f)):
                    problems.append(f"{where}: {ref} has no section \"{section}\"")
    for p in problems:
        print(p)
    if problems:
        print(f"doc_refs: {len(problems)} reference(s) do not resolve inside the repository",
              file=sys.stderr)
        return 1
    print("doc_refs: every reference resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
