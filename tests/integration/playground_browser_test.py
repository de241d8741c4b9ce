#!/usr/bin/python3
"""The playground in a real browser: headless chromium loads the page from a
running glossa-server, the page's own script translates a sentence and streams
a generation, and the DOM chromium dumps afterwards must hold the answers the
gRPC API gives for the same input.

Skips (exit 77) when chromium is not installed; tools/install_deps.sh installs
it. With GLOSSA_SCREENSHOT=FILE.png it also saves a screenshot of the page
after the translation.

Usage: playground_browser_test.py SERVER_BINARY MODEL_DIR STUBS_DIR
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

SERVER, MODEL_DIR, STUBS = sys.argv[1:4]
sys.path.insert(0, STUBS)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402

from glossa.v1 import glossa_pb2, glossa_pb2_grpc  # noqa: E402
from http_support import Server  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SENTENCE = "Wir sehen uns morgen im Garten."


class Browser:
    """Headless chromium driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4), so the
    test can wait for the page's own script to finish, however long a
    stream takes."""

    def __init__(self):
        self.profile = tempfile.TemporaryDirectory()
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire_pipes():
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-pipe", "--window-size=1280,760",
             "--user-data-dir=" + self.profile.name, "about:blank"],
            # Not close_fds: it would close 3 and 4 after wire_pipes ran.
            close_fds=False, preexec_fn=wire_pipes, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def call(self, method, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_browser, 1 << 16)
                if not chunk:
                    raise AssertionError("chromium closed the DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError("%s: %s" % (method, reply["error"]))
                return reply["result"]

    def open(self, url):
        target = self.call("Target.createTarget", url=url)["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression,
                         returnByValue=True)["result"].get("value")

    def wait_for(self, expression, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + expression)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        # The whole group: /usr/bin/chromium is a script, and the browser
        # forks helpers that write to the profile.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)
        self.profile.cleanup()


class PlaygroundBrowserTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(SERVER, MODEL_DIR)
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % cls.server.grpc_port)
        cls.stub = glossa_pb2_grpc.GlossaStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        assert cls.server.stop() == 0

    def setUp(self):
        self.browser = Browser()

    def tearDown(self):
        self.browser.close()

    def run_page(self, action):
        """Opens the playground with ?run=ACTION; what the page ended with."""
        self.browser.open("http://127.0.0.1:%d/?%s" % (
            self.server.http_port, urllib.parse.urlencode({"text": SENTENCE, "run": action})))
        done = self.browser.wait_for("document.body.dataset.done")
        return done, {element: self.browser.evaluate(
            "document.getElementById(%r).textContent" % element)
            for element in ("output", "status", "timings", "model-line")}

    def test_translate_in_the_page(self):
        done, page = self.run_page("translate")
        self.assertEqual(done, "translate", page)
        want = self.stub.Translate(glossa_pb2.TranslateRequest(segments=[SENTENCE]),
                                   timeout=60).translations[0].hypotheses[0].text
        self.assertEqual(page["output"], want)
        self.assertIn("ms", page["timings"])
        self.assertIn("de-en", page["model-line"])
        # The scores table lists the hypothesis with its score.
        score = self.browser.evaluate(
            "document.querySelector('#scores tbody td:nth-child(3)').textContent")
        self.assertRegex(score, r"^-?\d+\.\d{3}$")
        path = os.environ.get("GLOSSA_SCREENSHOT")
        if path:
            self.browser.screenshot(path)

    def test_generate_streams_in_the_page(self):
        done, page = self.run_page("generate")
        self.assertEqual(done, "generate", page)
        messages = list(self.stub.Generate(glossa_pb2.GenerateRequest(text=SENTENCE),
                                           timeout=60))
        self.assertEqual(page["output"], "".join(m.text for m in messages))
        # One page update per streamed token, as the messages arrived.
        tokens = sum(1 for m in messages if not m.HasField("result"))
        self.assertGreater(tokens, 1)
        self.assertIn("%d tokens in" % tokens, page["timings"])
        self.assertIn("first token", page["timings"])
        self.assertIn("FINISH_REASON_EOS", page["timings"])


if __name__ == "__main__":
    if CHROMIUM is None:
        print("SKIP: chromium is not installed (tools/install_deps.sh installs it)")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
