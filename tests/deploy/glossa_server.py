"""Starts a real glossa-server on free loopback ports for the deploy checks."""

# gRPC calls go through python3-grpcio's generic stubs with hand-encoded
# messages, so the checks need no generated Python code.

import os
import re
import select
import signal
import subprocess
import threading
import time
import urllib.request

SERVING = 1
_LISTENING = re.compile(r"glossa-server listening grpc=(\S+) metrics=(\S+)")


class GlossaServer:
    """A glossa-server child process: `with GlossaServer(binary, model) as s:`.

    The server picks its own ports (--port=0 --metrics_port=0); they are read
    from the line it prints once it is ready: `grpc_address`,
    `metrics_address` ("127.0.0.1:PORT").
    """

    def __init__(self, binary, model, start_timeout=120.0):
        self.binary = binary
        self.model = model
        self.start_timeout = start_timeout
        self.proc = None
        self.output = []
        self.grpc_address = None
        self.metrics_address = None
        self._drain = None

    def __enter__(self):
        if not os.access(self.binary, os.X_OK):
            raise FileNotFoundError(f"server binary not found: {self.binary}")
        if not os.path.isfile(os.path.join(self.model, "config.json")):
            raise FileNotFoundError(f"model directory has no config.json: {self.model}")
        env = dict(os.environ)
        env.update({"OMP_WAIT_POLICY": "PASSIVE", "GLOSSA_NUM_THREADS": "1"})
        self.proc = subprocess.Popen(
            [self.binary, f"--model={self.model}", "--host=127.0.0.1",
             "--port=0", "--metrics_port=0", "--http_port=0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.start_timeout
        buffered = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffered += chunk
                *lines, buffered = buffered.split(b"\n")
                for line in lines:
                    text = line.decode("utf-8", "replace")
                    self.output.append(text)
                    match = _LISTENING.search(text)
                    if match:
                        self.grpc_address, self.metrics_address = match.groups()
                        # Keep draining its output so that a chatty server
                        # never blocks on a full pipe.
                        self._drain = threading.Thread(target=self._read_rest, daemon=True)
                        self._drain.start()
                        self._wait_for_serving(deadline)
                        return self
            elif self.proc.poll() is not None:
                break
        self.__exit__(None, None, None)
        raise RuntimeError("glossa-server did not report 'listening':\n" +
                           "\n".join(self.output[-40:]))

    def _wait_for_serving(self, deadline):
        # The server listens (health NOT_SERVING) before it loads and warms up
        # the model.
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.health() == SERVING:
                return
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("glossa-server never reported SERVING:\n" +
                           "\n".join(self.output[-40:]))

    def _unary(self, method, request=b"", timeout=5.0):
        import grpc  # python3-grpcio
        with grpc.insecure_channel(self.grpc_address) as channel:
            call = channel.unary_unary(method, request_serializer=None,
                                       response_deserializer=None)
            return call(request, timeout=timeout)

    def health(self):
        """grpc.health.v1 status of the whole server (1 = SERVING), or None."""
        import grpc
        try:
            response = self._unary("/grpc.health.v1.Health/Check")
        except grpc.RpcError:
            return None
        # HealthCheckResponse: field 1 (status, varint); absent means 0.
        return response[1] if response[:1] == b"\x08" else 0

    def get_model_info(self):
        """One GetModelInfo call (empty request: the server's model)."""
        return self._unary("/glossa.v1.Glossa/GetModelInfo")

    def _read_rest(self):
        for line in self.proc.stdout:
            self.output.append(line.decode("utf-8", "replace").rstrip("\n"))

    def __exit__(self, *exc):
        if self.proc is None:
            return False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._drain is not None:
            self._drain.join(timeout=5)
        self.proc.stdout.close()
        self.proc = None
        return False

    def metrics_text(self):
        url = f"http://{self.metrics_address}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")


def parse_exposition(text):
    """Returns ({family: type}, {sample names}) from Prometheus text format."""
    types, samples = {}, set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        samples.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return types, samples
