#!/usr/bin/env python3
"""Unit test of parity.py on small literal expositions (no node needed)."""
import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity  # noqa: E402

KUBELET_BEFORE = """# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="app",cpu="total",id="/kubepods/pod1/abc",image="busybox",name="abc",namespace="ns",pod="p"} 10 1000000
container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""} 500 1000000
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="app",id="/kubepods/pod1/abc",image="busybox",name="abc",namespace="ns",pod="p"} 1.0e+07 1000000
# TYPE container_spec_cpu_shares gauge
container_spec_cpu_shares{container="app",id="/kubepods/pod1/abc",image="busybox",name="abc",namespace="ns",pod="p"} 2
# TYPE container_scrape_error gauge
container_scrape_error 0
# TYPE container_network_receive_bytes_total counter
container_network_receive_bytes_total{container="",id="/kubepods/pod1/pause",image="registry.k8s.io/pause:3.10",interface="eth0",name="pause",namespace="ns",pod="p"} 100 1000000
# TYPE machine_cpu_cores gauge
machine_cpu_cores{boot_id="x",machine_id="y",system_uuid="z"} 2
"""
KUBELET_AFTER = KUBELET_BEFORE.replace("} 10 1000000", "} 12 1020000").replace(
    "} 500 1000000", "} 520 1020000").replace("} 100 1000000", "} 150 1020000")
KEELSON = """# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="app",id="/kubepods/pod1/abc",image="busybox",name="abc",namespace="ns",pod="p",cpu="total"} 11
container_cpu_usage_seconds_total{container="",id="/",image="",name="",namespace="",pod="",cpu="total"} 510
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="app",id="/kubepods/pod1/abc",image="busybox",name="abc",namespace="ns",pod="p"} 10400000
# TYPE container_spec_cpu_shares gauge
container_spec_cpu_shares{container="app",id="/kubepods/pod1/abc",image="busybox",name="abc",namespace="ns",pod="p"} 2
# TYPE container_network_receive_bytes_total counter
container_network_receive_bytes_total{container="",id="/kubepods/pod1/pause",image="",interface="eth0",name="pause",namespace="ns",pod="p"} 120
# TYPE keelson_container_memory_events_total counter
keelson_container_memory_events_total{container="app",event="max",id="/kubepods/pod1/abc"} 0
"""
ALLOW = """# comments and blank lines are fine

missing container_scrape_error   # Keelson counts errors in keelson_agent_collector_errors_total
drop-label container_network_.* image container= name=.+  # the sandbox's image: not in the pod watch
"""


class ParityTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, text, mtime=None):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def run_tool(self, *argv):
        out = io.StringIO()
        with redirect_stdout(out):
            code = parity.main(list(argv))
        return code, out.getvalue()

    def files(self, keelson=KEELSON, allow=ALLOW):
        return (self.write("k1", KUBELET_BEFORE), self.write("k2", KUBELET_AFTER),
                self.write("a", keelson, mtime=1010), self.write("allow", allow))

    def test_parity_with_documented_exceptions(self):
        k1, k2, a, allow = self.files()
        code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                  "--allow", allow, "--families",
                                  "container_(cpu|memory|spec|network|scrape).*")
        self.assertEqual(code, 0, out)
        self.assertIn("PARITY: 0 unexplained", out)
        self.assertIn("missing 1", out)

    def test_counter_outside_the_kubelets_two_reads_differs(self):
        # 13 is after the kubelet's later read (12): Keelson read between the two cannot say that.
        k1, k2, a, allow = self.files(KEELSON.replace("} 11\n", "} 13\n"))
        code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                  "--allow", allow, "--families", "container_cpu.*")
        self.assertEqual(code, 1)
        self.assertIn("value differs: 1 series", out)
        self.assertIn('keelson=13 kubelet=10@1000000, 12@1020000', out)

    def test_counter_the_kubelet_saw_go_down_is_bounded_by_its_earlier_read(self):
        # A recursive cgroup counter loses a removed child's counts (blkio at /kubepods): the
        # kubelet read 10, then 8; Keelson between them read 9 (fine), or 7 (fine: it may have
        # dropped lower and grown again), but not 13.
        after = KUBELET_AFTER.replace("} 12 1020000", "} 8 1020000")
        for keelson_value, code_want in (("9", 0), ("7", 0), ("13", 1)):
            a = self.write("a", KEELSON.replace("} 11\n", "} %s\n" % keelson_value), mtime=1010)
            k1, k2 = self.write("k1", KUBELET_BEFORE), self.write("k2", after)
            allow = self.write("allow", ALLOW)
            code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                      "--allow", allow, "--families", "container_cpu.*")
            self.assertEqual(code, code_want, keelson_value + ": " + out)

    def test_missing_extra_and_label_differences_are_listed(self):
        # Without the allow-list: the scrape error is missing, the network series differ by
        # image (one missing, one extra), and Keelson's own family is extra.
        k1, k2, a, _ = self.files()
        code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                  "--families", "(container|keelson)_.*")
        self.assertEqual(code, 1)
        self.assertIn("== missing in keelson: 2 series in 2 families", out)
        self.assertIn("container_scrape_error{}", out)
        self.assertIn('image="registry.k8s.io/pause:3.10"', out)
        self.assertIn("== extra in keelson: 2 series in 2 families", out)
        self.assertIn("keelson_container_memory_events_total", out)
        self.assertIn("DIFFERENCES: 4 unexplained", out)

    def test_exact_families_must_be_equal(self):
        k1, k2, a, allow = self.files(KEELSON.replace('pod="p"} 2', 'pod="p"} 3'))
        code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                  "--allow", allow, "--families", "container_spec.*")
        self.assertEqual(code, 1)
        self.assertIn("container_spec_cpu_shares", out)

    def test_gauge_within_tolerance(self):
        k1, k2, a, allow = self.files(KEELSON.replace("10400000", "12000000"))
        code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                  "--allow", allow, "--families", "container_memory.*")
        self.assertEqual(code, 1, out)  # 20 % off: more than 10 % and 1 MiB
        code, out = self.run_tool("--kubelet", k1, "--kubelet", k2, "--keelson", a,
                                  "--allow", allow, "--families", "container_memory.*",
                                  "--gauge-rel", "0.25")
        self.assertEqual(code, 0, out)

    def test_bad_allow_list_names_the_line(self):
        k1, k2, a, _ = self.files()
        bad = self.write("bad", "missing container_x\nbogus container_y\n")
        err = io.StringIO()
        sys_stderr, sys.stderr = sys.stderr, err
        try:
            code, _ = self.run_tool("--kubelet", k1, "--keelson", a, "--allow", bad)
        finally:
            sys.stderr = sys_stderr
        self.assertEqual(code, 2)
        self.assertIn("bad:2: unknown rule", err.getvalue())

    def test_parses_escapes_and_timestamps(self):
        types, samples = parity.parse(
            '# TYPE x counter\nx{a="q\\"uo\\\\te",b="n\\nl"} 1.5e3 123\ny 2\n', "t")
        self.assertEqual(types, {"x": "counter"})
        self.assertEqual(samples, [("x", {"a": 'q"uo\\te', "b": "n\nl"}, 1500.0, 123),
                                   ("y", {}, 2.0, None)])


if __name__ == "__main__":
    unittest.main()
