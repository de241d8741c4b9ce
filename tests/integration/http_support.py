"""What the HTTP tests share: a glossa-server on free ports serving the
bundled de-en model, and a Server-Sent Events reader."""

import http.client
import json
import re
import signal
import ssl
import subprocess
import tempfile
import time


class Server:
    """A glossa-server on free ports; waits until /readyz says ready."""

    def __init__(self, server_binary, model_dir, *flags, tls_ca=None):
        # With tls_ca (a PEM file) requests use HTTPS and trust that CA.
        self.tls = ssl.create_default_context(cafile=tls_ca) if tls_ca else None
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [server_binary, "--host=127.0.0.1", "--port=0", "--metrics_port=0", "--http_port=0",
             "--num_threads=1", "--translation_cache_bytes=0", "--model=" + model_dir, "--model_name=de-en", *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        match = None
        while time.time() < deadline and match is None:
            match = re.search(r"listening grpc=127\.0\.0\.1:(\d+) metrics=127\.0\.0\.1:(\d+) "
                              r"http=127\.0\.0\.1:(\d+)", self.text())
            if match is None:
                assert self.process.poll() is None, self.text()
                time.sleep(0.02)
        assert match, "no listening line:\n" + self.text()
        self.grpc_port, self.metrics_port, self.http_port = map(int, match.groups())
        while time.time() < deadline:
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("never ready:\n" + self.text())

    def text(self):
        self.log.seek(0)
        return self.log.read()

    def connection(self, timeout=60):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.http_port, timeout=timeout,
                                               context=self.tls)
        return http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes)."""
        connection = self.connection()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def json(self, method, path, body=None, headers=None):
        status, _, data = self.request(method, path, body, headers)
        return status, json.loads(data)

    def metric(self, sample):
        connection = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
        connection.close()
        return metric_sum(text, sample)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()
        return self.process.returncode


def _series(text):
    """'name{a="x",b="y"}' -> (name, {'a="x"', 'b="y"'})."""
    name, _, labels = text.partition("{")
    labels = labels.rstrip("}")
    return name, {label if label.endswith('"') else label + '"'
                  for label in labels.split('",') if label}


def metric_sum(text, sample):
    """Sums the samples whose series has the name and at least the labels
    of `sample` (so a sample without a model label sums every model's);
    None when there is none."""
    name, wanted = _series(sample)
    total = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        have_name, have = _series(series)
        if have_name == name and wanted <= have:
            total = (total or 0) + float(value)
    return total


def read_events(response):
    """Yields (event name, data dict) from a text/event-stream response."""
    name, data = None, []
    while True:
        line = response.fp.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line == "":
            if data:
                yield name or "message", json.loads("\n".join(data))
            name, data = None, []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
