#!/usr/bin/env python3
"""Structural checks of dashboards/*.json and the Prometheus rules (no server needed).

- Grafana dashboard JSON: schemaVersion >= 39, unique uids and panel ids, a sane grid (inside 24
  columns, no overlapping panels), a `datasource` variable of type datasource/prometheus that every
  panel, target and query variable uses (no hard-coded data source uid anywhere), template
  variables node/namespace/pod/policy as label_values() queries, every target with an expr, a unit
  on every timeseries and stat panel, a description on every panel, range vectors only over
  $__rate_interval or $__range.
- The provisioning layout: a file provider pointing at an absolute directory, and a simulated
  Grafana provisioning tree (provisioning/dashboards/keelson.yaml + that directory holding the
  JSON files) as the README tells operators to lay it out.
- Every metric the dashboards and deploy/prometheus/keelson-rules.yaml query is in
  dashboards/METRICS.md (the contract with the binaries).

Standard library only; prints one line per failure and the counts.
"""
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import panels  # noqa: E402

SOURCE = Path(__file__).resolve().parents[3]
DASHBOARDS = SOURCE / "dashboards"
REQUIRED_VARIABLES = {
    "keelson-resources.json": {"datasource", "job", "node", "namespace", "pod"},
    "keelson-logs.json": {"datasource", "job", "node", "namespace"},
    "keelson-autoscaler.json": {"datasource", "job", "policy"},
}
ALLOWED_RANGES = {"$__rate_interval", "$__range"}
DS_UID = "${datasource}"


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, []

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"FAIL: {what}")


def walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
        yield path, node
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def contract_names():
    text = (DASHBOARDS / "METRICS.md").read_text()
    return set(re.findall(r"`((?:container|machine|keelson|process)_[a-z0-9_]+)", text))


def check_dashboard(checks, name, dash, contract, uids):
    where = name
    checks.expect(dash.get("schemaVersion", 0) >= 39, f"{where}: schemaVersion >= 39")
    checks.expect(dash.get("uid") and dash["uid"] not in uids, f"{where}: unique uid")
    uids.add(dash.get("uid"))
    checks.expect(bool(dash.get("title")), f"{where}: title")

    # Variables.
    variables = dash["templating"]["list"]
    by_name = {v["name"]: v for v in variables}
    checks.expect(REQUIRED_VARIABLES[name] <= set(by_name),
                  f"{where}: variables {sorted(REQUIRED_VARIABLES[name])} present")
    ds = by_name.get("datasource", {})
    checks.expect(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
                  f"{where}: datasource variable of type datasource/prometheus")
    checks.expect(variables and variables[0]["name"] == "datasource",
                  f"{where}: datasource is the first variable (others depend on it)")
    for var in variables:
        if var["type"] != "query":
            continue
        definition = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        checks.expect(var.get("datasource") == {"type": "prometheus", "uid": DS_UID},
                      f"{where}: variable {var['name']} uses ${{datasource}}")
        checks.expect(bool(panels.LABEL_VALUES_RE.match(definition)),
                      f"{where}: variable {var['name']} is a label_values() query")
        for metric in panels.metric_names(definition):
            checks.expect(metric in contract, f"{where}: variable {var['name']}: {metric} in "
                                              "METRICS.md")

    # No hard-coded data source anywhere: every datasource reference is the variable (or
    # Grafana's built-in annotation source).
    for path, node in walk(dash):
        if isinstance(node, dict) and "datasource" in node:
            ref = node["datasource"]
            ok = isinstance(ref, dict) and ref.get("uid") in (DS_UID, "-- Grafana --")
            checks.expect(ok, f"{where}{path}: datasource {ref!r} should be ${{datasource}}")

    # Grid and panels.
    ids, cells = set(), {}
    for panel in dash["panels"]:
        checks.expect(panel["id"] not in ids, f"{where}: panel id {panel['id']} unique")
        ids.add(panel["id"])
        grid = panel.get("gridPos", {})
        ok = all(k in grid for k in "hwxy") and grid["w"] > 0 and grid["h"] > 0 and \
            grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
        checks.expect(ok, f"{where}: panel {panel.get('title')}: gridPos {grid} inside 24 columns")
        if not ok:
            continue
        overlapped = set()
        for dx in range(grid["w"]):
            for dy in range(grid["h"]):
                cell = (grid["x"] + dx, grid["y"] + dy)
                if cell in cells:
                    overlapped.add(cells[cell])
                cells[cell] = panel.get("title")
        checks.expect(not overlapped, f"{where}: panel {panel.get('title')} overlaps {overlapped}")
        if panel["type"] == "row":
            continue
        title = f"{where}: panel {panel.get('title')!r}"
        checks.expect(bool(panel.get("description")), f"{title}: description")
        if panel["type"] in ("timeseries", "stat"):
            unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
            checks.expect(bool(unit), f"{title}: unit set")
        targets = panel.get("targets", [])
        checks.expect(bool(targets), f"{title}: has targets")
        refs = [t.get("refId") for t in targets]
        checks.expect(len(set(refs)) == len(refs), f"{title}: unique refIds")
        for tgt in targets:
            expr = tgt.get("expr", "")
            checks.expect(bool(expr.strip()), f"{title}/{tgt.get('refId')}: expr")
            for rng in re.findall(r"\[([^\]]+)\]", expr):
                checks.expect(rng in ALLOWED_RANGES,
                              f"{title}/{tgt.get('refId')}: range [{rng}] is $__rate_interval "
                              "or $__range")
            checks.expect(bool(tgt.get("legendFormat")), f"{title}/{tgt.get('refId')}: legend")
            for metric in panels.metric_names(expr):
                checks.expect(metric in contract, f"{title}: {metric} is in METRICS.md")


def check_provisioning(checks):
    text = (DASHBOARDS / "provisioning" / "dashboards.yaml").read_text()
    checks.expect(re.search(r"^apiVersion: 1$", text, re.M) is not None,
                  "provisioning: apiVersion 1")
    checks.expect(re.search(r"^\s+type: file$", text, re.M) is not None,
                  "provisioning: a file provider")
    match = re.search(r"^\s+path: (\S+)$", text, re.M)
    checks.expect(match is not None and match.group(1).startswith("/"),
                  "provisioning: options.path is an absolute directory")
    datasource = (DASHBOARDS / "provisioning" / "datasource.example.yaml").read_text()
    checks.expect("type: prometheus" in datasource, "datasource example is a Prometheus")
    if not match:
        return
    # Lay the files out as an operator would (README), in a scratch root, and check that the
    # provider's directory then holds exactly the dashboards, each parseable with a unique uid.
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        provisioning = root / "etc/grafana/provisioning/dashboards"
        provisioning.mkdir(parents=True)
        shutil.copy(DASHBOARDS / "provisioning" / "dashboards.yaml", provisioning / "keelson.yaml")
        target = root / match.group(1).lstrip("/")
        target.mkdir(parents=True)
        for name in panels.DASHBOARD_FILES:
            shutil.copy(DASHBOARDS / name, target / name)
        found = sorted(p.name for p in target.glob("*.json"))
        checks.expect(found == sorted(panels.DASHBOARD_FILES),
                      f"provisioning: {match.group(1)} holds the dashboards ({found})")
        uids = {json.loads(p.read_text())["uid"] for p in target.glob("*.json")}
        checks.expect(len(uids) == len(found), "provisioning: one uid per file")


def check_rules(checks, contract):
    rules = (SOURCE / "deploy" / "prometheus" / "keelson-rules.yaml").read_text()
    exprs = "\n".join(line for line in rules.splitlines() if not line.lstrip().startswith("#"))
    # Recorded series (level:metric:operations) are the rules' own names, not the contract's.
    exprs = re.sub(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", " ", exprs)
    for metric in panels.metric_names(exprs):
        checks.expect(metric in contract, f"keelson-rules.yaml: {metric} is in METRICS.md")


def main():
    checks = Checks()
    contract = contract_names()
    checks.expect(len(contract) > 60, f"METRICS.md lists the contract ({len(contract)} names)")
    uids = set()
    for name in panels.DASHBOARD_FILES:
        try:
            dash = json.loads((DASHBOARDS / name).read_text())
        except (OSError, json.JSONDecodeError) as error:
            checks.expect(False, f"{name}: parses as JSON: {error}")
            continue
        check_dashboard(checks, name, dash, contract, uids)
    check_provisioning(checks)
    check_rules(checks, contract)
    print(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
