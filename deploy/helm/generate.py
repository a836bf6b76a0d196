#!/usr/bin/env python3
"""Copy the chart's data files from their single sources into deploy/helm/keelson/files/.

    python3 deploy/helm/generate.py          write the copies
    python3 deploy/helm/generate.py --check  exit 1 if a copy differs from its source

Helm reads files only from inside the chart (.Files.Get), so the chart carries byte-for-byte
copies of deploy/prometheus/keelson-rules.yaml (PrometheusRule) and dashboards/keelson-*.json
(Grafana sidecar ConfigMaps), and crds/ a copy of the ScalingPolicy CRD
(deploy/base/autoscaler/crd-scalingpolicies.yaml, itself `keelson-autoscaler crd` output). Edit the sources, then run this; the unit test
deploy_helm_files_generated fails while they differ. Standard library only.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "deploy" / "helm" / "keelson" / "files"


def copies():
    """(source, copy) pairs."""
    pairs = [(ROOT / "deploy" / "prometheus" / "keelson-rules.yaml", FILES / "keelson-rules.yaml")]
    pairs.append((ROOT / "deploy" / "base" / "autoscaler" / "crd-scalingpolicies.yaml",
                  FILES.parent / "crds" / "keelson.io_scalingpolicies.yaml"))
    for dashboard in sorted((ROOT / "dashboards").glob("keelson-*.json")):
        pairs.append((dashboard, FILES / "dashboards" / dashboard.name))
    return pairs


def main(argv):
    pairs = copies()
    wanted = {copy for _, copy in pairs}
    stale_extra = [p for p in (FILES / "dashboards").glob("*.json") if p not in wanted]
    if argv[1:] == ["--check"]:
        stale = [str(copy.relative_to(ROOT)) for source, copy in pairs
                 if not copy.exists() or copy.read_bytes() != source.read_bytes()]
        stale += [f"{p.relative_to(ROOT)} (no source)" for p in stale_extra]
        if stale:
            print(f"stale chart files: {', '.join(stale)}: run python3 deploy/helm/generate.py",
                  file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    for source, copy in pairs:
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(source.read_bytes())
    for p in stale_extra:
        p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
