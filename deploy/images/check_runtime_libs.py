#!/usr/bin/env python3
"""Checks, without a container engine, that an image's runtime stage installs every shared
library a binary needs.

    deploy/images/check_runtime_libs.py DOCKERFILE BINARY [--drop PACKAGE]

`--drop PACKAGE` removes a package from the runtime list before checking (the negative control of
the ctest: dropping a needed library's package must fail).

1. Reads the Dockerfile's last stage: its base image (must be debian:bookworm-slim) and the
   packages of its `apt-get install` (continuation lines joined, options skipped).
2. Every package named in any stage's `apt-get install` exists in this machine's bookworm archive
   (`apt-cache policy` has a candidate).
3. `ldd BINARY` (the binary built here, on bookworm: the same sonames as in the image's build
   stage): no "not found"; each resolved library is mapped to its Debian package with `dpkg -S`
   (with and without the /usr prefix: bookworm's merged /usr).
4. Each such package must be in the runtime stage once installed: one of the listed packages, one
   of their Depends/Pre-Depends (recursively, `apt-cache depends --recurse`), or part of the
   bookworm-slim base (approximated as the closure of the Priority: required packages and apt,
   the minbase variant the Debian images are built from, as this machine's apt database sees them).

Prints the mapping and exits 1 naming each library whose package the stage would lack.
"""
import re
import subprocess
import sys
from pathlib import Path

BASE_IMAGE = "debian:bookworm-slim"


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, check=False)


def stages(dockerfile_text):
    """[(base image, [apt packages])] per stage, in order."""
    text = re.sub(r"\\\n", " ", dockerfile_text)  # join continuation lines
    out = []
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"(?i)^FROM\s", line):
            out.append((line.split()[1], []))
        elif re.match(r"(?i)^RUN\s", line) and out:
            for command in re.split(r"&&|;|\|\|", line[3:]):
                words = command.split()
                if "apt-get" in words and "install" in words:
                    rest = words[words.index("install") + 1:]
                    out[-1][1].extend(w for w in rest if not w.startswith("-"))
    return out


def closure(packages):
    """The packages plus their Depends/Pre-Depends, recursively (virtual packages resolved by apt)."""
    if not packages:
        return set()
    proc = run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
               "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *sorted(packages))
    names = set(packages)
    for line in proc.stdout.splitlines():
        word = line.strip()
        if ":" in word and not word.startswith("<"):
            word = word.split(":", 1)[1].strip()  # "Depends: libc6" / "PreDepends: ..."
        word = word.lstrip("|").strip()
        if word and not word.startswith("<") and " " not in word:
            names.add(word.split(":")[0])  # drop an ":any" / ":amd64" qualifier
    return names


def base_packages():
    proc = run("dpkg-query", "-W", "-f", "${Package} ${Priority} ${Essential}\n")
    required = {line.split()[0] for line in proc.stdout.splitlines()
                if len(line.split()) >= 2 and (line.split()[1] == "required"
                                               or line.split()[-1] == "yes")}
    return closure(required | {"apt"})


def owner(path):
    """The Debian package shipping `path` (bookworm lists most libraries under /lib, not /usr/lib)."""
    candidates = [path, str(Path(path).resolve())]
    for p in list(candidates):
        if p.startswith("/usr/"):
            candidates.append(p[4:])
        else:
            candidates.append("/usr" + p)
    for p in candidates:
        proc = run("dpkg", "-S", p)
        if proc.returncode == 0 and proc.stdout:
            return proc.stdout.splitlines()[0].split(":")[0].strip()
    return None


def main():
    args = sys.argv[1:]
    drop = None
    if len(args) == 4 and args[2] == "--drop":
        drop = args[3]
        args = args[:2]
    if len(args) != 2:
        sys.exit(__doc__)
    dockerfile, binary = Path(args[0]), Path(args[1])
    all_stages = stages(dockerfile.read_text())
    if not all_stages:
        sys.exit(f"{dockerfile}: no FROM")
    image, runtime = all_stages[-1]
    if drop is not None:
        if drop not in runtime:
            sys.exit(f"--drop {drop}: not in the runtime stage's list")
        runtime = [p for p in runtime if p != drop]
        print(f"(negative control: {drop} dropped from the list)")
    problems = []
    if image != BASE_IMAGE:
        problems.append(f"runtime stage is FROM {image}, expected {BASE_IMAGE} (the base set assumes it)")
    if not runtime:
        problems.append("runtime stage installs no package")

    for stage_image, packages in all_stages:
        for package in packages:
            policy = run("apt-cache", "policy", package).stdout
            if "Candidate:" not in policy or "Candidate: (none)" in policy:
                problems.append(f"{package} (stage FROM {stage_image}) is not in the archive")

    ldd = run("ldd", str(binary))
    if ldd.returncode != 0:
        sys.exit(f"ldd {binary} failed: {ldd.stderr}")
    installed = closure(set(runtime))
    base = None  # computed only when needed (it is the slow part)
    print(f"{dockerfile.name}: runtime stage FROM {image} installs {' '.join(runtime)}")
    used = set()
    for line in ldd.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("linux-vdso"):
            continue
        if "not found" in line:
            problems.append(f"ldd: {line}")
            continue
        match = re.search(r"=>\s*(\S+)", line) or re.match(r"(/\S+)", line)
        if not match:
            continue
        path = match.group(1)
        package = owner(path)
        if package is None:
            problems.append(f"{path}: no Debian package ships it (built against a local library?)")
            continue
        if package in runtime:
            how = "listed"
            used.add(package)
        elif package in installed:
            how = "dependency of the list"
        elif package in (base := base if base is not None else base_packages()):
            how = "in the base image"
        else:
            how = "MISSING"
            problems.append(f"{path} is in {package}, which the runtime stage does not install")
        print(f"  {path:50} {package:28} {how}")
    unused = [p for p in runtime if p not in used]
    if unused:
        print(f"  listed but providing no linked library (data or indirect): {' '.join(unused)}")
    for problem in problems:
        print(f"FAIL: {problem}")
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
