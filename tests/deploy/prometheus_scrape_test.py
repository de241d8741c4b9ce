#!/usr/bin/env python3
"""Debian's real Prometheus scrapes a real Glossa with the shipped config.

  prometheus_scrape_test.py --server build/bin/glossa-server --model DIR
                            [--prometheus /usr/bin/prometheus]

Starts glossa-server on free loopback ports, then Prometheus (temp dir, free
loopback port) with deploy/compose/prometheus/prometheus.yml in which only the
glossa target address is rewritten. Waits for the first scrape, queries Glossa
metrics through Prometheus' HTTP API, and runs every query of the Grafana
dashboard through it, so that each one parses and evaluates.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from glossa_server import GlossaServer  # noqa: E402
from manifests_test import COMPOSE_PROMETHEUS, dashboard_queries  # noqa: E402

FIRST_SCRAPE_TIMEOUT = 60.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rewrite_target(config, address):
    """The shipped config with the glossa job pointed at address; nothing else
    changes (the scrape interval, path and other jobs stay as shipped)."""
    jobs = [job for job in config["scrape_configs"] if job["job_name"] == "glossa"]
    assert len(jobs) == 1, "the shipped config must have one 'glossa' job"
    for static in jobs[0]["static_configs"]:
        static["targets"] = [address]
    return config


class Prometheus:
    def __init__(self, binary, config, workdir):
        self.binary = binary
        self.config = config
        self.workdir = workdir
        self.address = f"127.0.0.1:{free_port()}"
        self.proc = None
        self.log = os.path.join(workdir, "prometheus.log")

    def __enter__(self):
        config_path = os.path.join(self.workdir, "prometheus.yml")
        with open(config_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(self.config, f)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, f"--config.file={config_path}",
                 f"--storage.tsdb.path={os.path.join(self.workdir, 'data')}",
                 f"--web.listen-address={self.address}"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited:\n" + self.log_tail())
            try:
                with urllib.request.urlopen(f"http://{self.address}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("prometheus not ready:\n" + self.log_tail())

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False

    def log_tail(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-30:])

    def query(self, expr):
        url = (f"http://{self.address}/api/v1/query?" +
               urllib.parse.urlencode({"query": expr}))
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:  # 400/422 carry a JSON error body
            return json.load(e)


def grafana_to_promql(expr):
    """Substitutes the dashboard's Grafana variables with concrete values."""
    return (expr.replace("$__rate_interval", "1m")
                .replace("${datasource}", "prometheus")
                .replace("$instance", ".*"))


class PrometheusScrapeTest(unittest.TestCase):
    server = None
    model = None
    prometheus = None

    def test_prometheus_scrapes_glossa(self):
        with open(COMPOSE_PROMETHEUS, encoding="utf-8") as f:
            shipped = yaml.safe_load(f)
        with GlossaServer(self.server, self.model) as glossa, \
                tempfile.TemporaryDirectory(prefix="glossa-prom-") as tmp:
            glossa.get_model_info()  # creates the per-rpc series
            config = rewrite_target(shipped, glossa.metrics_address)
            with Prometheus(self.prometheus, config, tmp) as prom:
                # Wait for the first scrape of the glossa job.
                deadline = time.monotonic() + FIRST_SCRAPE_TIMEOUT
                up = None
                while time.monotonic() < deadline:
                    up = prom.query('up{job="glossa"}')
                    result = up.get("data", {}).get("result", [])
                    if result and result[0]["value"][1] == "1":
                        break
                    time.sleep(1)
                else:
                    self.fail(f"no successful scrape of glossa within "
                              f"{FIRST_SCRAPE_TIMEOUT:.0f}s: {up}\n{prom.log_tail()}")
                self.assertEqual(result[0]["metric"]["instance"], glossa.metrics_address)

                # A Glossa metric, through Prometheus' HTTP API.
                info = prom.query('glossa_build_info{job="glossa"}')
                self.assertEqual(info["status"], "success", info)
                series = info["data"]["result"]
                self.assertEqual(len(series), 1, info)
                labels = series[0]["metric"]
                for label in ("version", "compute_type", "model"):
                    self.assertIn(label, labels)
                load = prom.query('glossa_model_load_seconds{job="glossa"}')
                self.assertEqual(len(load["data"]["result"]), 1, load)
                self.assertGreaterEqual(float(load["data"]["result"][0]["value"][1]), 0.0)

                # Every dashboard query parses and evaluates.
                for expr in dashboard_queries():
                    if expr.startswith("label_values("):
                        continue  # a Grafana function, not PromQL
                    with self.subTest(expr=expr):
                        answer = prom.query(grafana_to_promql(expr))
                        self.assertEqual(answer.get("status"), "success", answer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    args, rest = parser.parse_known_args()
    PrometheusScrapeTest.server = args.server
    PrometheusScrapeTest.model = args.model
    PrometheusScrapeTest.prometheus = args.prometheus
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(PrometheusScrapeTest)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
