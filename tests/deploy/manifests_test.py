#!/usr/bin/env python3
"""Checks the shipped deployment files (Dockerfile, deploy/**).

  manifests_test.py
      every YAML and JSON file under deploy/ parses, and the files agree with
      each other and with the server's contract (ports, drain grace period,
      thread count tied to the CPU limit, probes on the gRPC health service).
  manifests_test.py --server build/bin/glossa-server --model DIR
      every glossa_* metric that the Grafana dashboard and the queue-depth
      autoscaler query is exposed by a real server's /metrics.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from glossa_server import GlossaServer, parse_exposition  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
DASHBOARD = os.path.join(DEPLOY, "compose", "grafana", "dashboards", "glossa.json")
COMPOSE = os.path.join(DEPLOY, "compose", "docker-compose.yml")
COMPOSE_PROMETHEUS = os.path.join(DEPLOY, "compose", "prometheus", "prometheus.yml")
K8S_BASE = os.path.join(DEPLOY, "k8s", "base")
CUSTOM_METRICS = os.path.join(DEPLOY, "k8s", "custom-metrics")
MULTI_MODEL = os.path.join(DEPLOY, "k8s", "multi-model")
COMPOSE_MULTI_MODEL = os.path.join(DEPLOY, "compose", "docker-compose.multi-model.yml")

GRPC_PORT = 50051
HTTP_PORT = 8080
METRICS_PORT = 9464
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
METRIC_NAME = re.compile(r"\bglossa_[a-zA-Z0-9_:]*")

# What the dashboard has to show (the operator's questions): each needs at
# least one query on the metric.
DASHBOARD_MUST_QUERY = {
    "glossa_requests_total",                 # requests/s by rpc and code
    "glossa_request_duration_seconds",       # latency quantiles
    "glossa_time_to_first_token_seconds",    # time to first token
    "glossa_queue_depth",
    "glossa_active_rows",
    "glossa_step_rows",                      # rows per decoder step
    "glossa_step_tokens",                    # tokens per decoder step
    "glossa_output_tokens_total",            # tokens/s
}


def deploy_files(*extensions):
    found = []
    for directory, _, names in os.walk(DEPLOY):
        for name in sorted(names):
            if name.endswith(extensions):
                found.append(os.path.join(directory, name))
    return sorted(found)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


def load_one_yaml(path):
    docs = [d for d in load_yaml(path) if d is not None]
    assert len(docs) == 1, f"{path}: expected one document, found {len(docs)}"
    return docs[0]


def strings_in(node, keys=None):
    """Every string in a JSON/YAML tree; with keys, only values of those keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and (keys is None or key in keys):
                yield value
            else:
                yield from strings_in(value, keys)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item, keys)
    elif isinstance(node, str) and keys is None:
        yield node


def dashboard_queries():
    with open(DASHBOARD, encoding="utf-8") as f:
        dashboard = json.load(f)
    # Panel queries (expr) and the template variables' queries.
    return list(strings_in(dashboard, keys={"expr", "query", "definition"}))


def queried_metric_names():
    """{metric name: [where]} for the dashboard and the queue-depth HPA."""
    names = {}
    for query in dashboard_queries():
        for name in METRIC_NAME.findall(query):
            names.setdefault(name, []).append(os.path.relpath(DASHBOARD, ROOT))
    for path in deploy_files(".yaml", ".yml"):
        if not path.startswith(CUSTOM_METRICS + os.sep):
            continue
        for doc in load_yaml(path):
            for text in strings_in(doc):
                for name in METRIC_NAME.findall(text):
                    names.setdefault(name, []).append(os.path.relpath(path, ROOT))
    return names


def base_name(name):
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def k8s_objects():
    objects = {}
    for path in deploy_files(".yaml"):
        if not path.startswith(K8S_BASE + os.sep) or path.endswith("kustomization.yaml"):
            continue
        for doc in load_yaml(path):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def env_map(container):
    return {e["name"]: e for e in container.get("env", [])}


class ManifestsTest(unittest.TestCase):

    def test_every_yaml_and_json_file_parses(self):
        yaml_files = deploy_files(".yaml", ".yml")
        json_files = deploy_files(".json")
        self.assertGreaterEqual(len(yaml_files), 10)
        self.assertGreaterEqual(len(json_files), 1)
        for path in yaml_files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                docs = [d for d in load_yaml(path) if d is not None]
                self.assertTrue(docs, "no YAML document")
        for path in json_files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                with open(path, encoding="utf-8") as f:
                    self.assertIsInstance(json.load(f), dict)

    def test_dashboard(self):
        with open(DASHBOARD, encoding="utf-8") as f:
            dashboard = json.load(f)
        self.assertEqual(dashboard["uid"], "glossa")
        ids = [p["id"] for p in dashboard["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            with self.subTest(panel=panel["title"]):
                self.assertTrue(panel.get("targets"), "panel without queries")
                self.assertEqual(panel["datasource"]["uid"], "${datasource}")
                grid = panel["gridPos"]
                self.assertLessEqual(grid["x"] + grid["w"], 24)
                for target in panel["targets"]:
                    self.assertTrue(target["expr"].strip())
                    self.assertEqual(target["expr"].count("("), target["expr"].count(")"))
        queried = {base_name(n) for n in queried_metric_names()}
        self.assertFalse(DASHBOARD_MUST_QUERY - queried,
                         "dashboard lacks panels for these metrics")
        for query in dashboard_queries():
            if "histogram_quantile" in query:
                self.assertRegex(query, r"by \(le\b", f"quantile not grouped by le: {query}")

    def test_compose(self):
        compose = load_one_yaml(COMPOSE)
        services = compose["services"]
        self.assertEqual(set(services), {"glossa", "prometheus", "grafana"})
        glossa = services["glossa"]
        self.assertIn(f"{GRPC_PORT}:{GRPC_PORT}", glossa["ports"])
        self.assertIn(f"{METRICS_PORT}:{METRICS_PORT}", glossa["ports"])
        self.assertIn(f"{HTTP_PORT}:{HTTP_PORT}", glossa["ports"])
        env = glossa["environment"]
        self.assertEqual(int(env["GLOSSA_NUM_THREADS"]), int(glossa["cpus"]),
                         "OpenMP threads must match the CPU limit")
        grace = int(env.get("GLOSSA_DRAIN_GRACE_SECONDS", 30))
        self.assertGreater(int(glossa["stop_grace_period"].rstrip("s")), grace)
        build = glossa["build"]
        self.assertTrue(os.path.isfile(os.path.join(
            DEPLOY, "compose", build["context"], build["dockerfile"])))
        # Every bind-mounted file or folder exists.
        for name, service in services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("."):
                    with self.subTest(service=name, volume=volume):
                        self.assertTrue(os.path.exists(os.path.join(DEPLOY, "compose", source)))
        # Prometheus scrapes the glossa service's metrics port.
        prometheus = load_one_yaml(COMPOSE_PROMETHEUS)
        jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
        targets = [t for c in jobs["glossa"]["static_configs"] for t in c["targets"]]
        self.assertEqual(targets, [f"glossa:{METRICS_PORT}"])
        self.assertEqual(jobs["glossa"].get("metrics_path", "/metrics"), "/metrics")
        # Grafana's provisioned data source is the compose Prometheus.
        datasources = load_one_yaml(os.path.join(
            DEPLOY, "compose", "grafana", "provisioning", "datasources", "prometheus.yml"))
        urls = [d["url"] for d in datasources["datasources"]]
        self.assertEqual(urls, ["http://prometheus:9090"])
        providers = load_one_yaml(os.path.join(
            DEPLOY, "compose", "grafana", "provisioning", "dashboards", "glossa.yml"))
        path = providers["providers"][0]["options"]["path"]
        self.assertTrue(any(v.endswith(":" + path + ":ro") or v.split(":")[1] == path
                            for v in services["grafana"]["volumes"]),
                        "dashboards folder not mounted where the provider looks")

    def test_every_glossa_variable_names_a_server_flag(self):
        with open(os.path.join(ROOT, "server", "flags.cc"), encoding="utf-8") as f:
            flags = set(re.findall(r"ABSL_FLAG\([^,]+,\s*(\w+),", f.read()))
        self.assertIn("models_config", flags)
        for path in deploy_files(".yaml", ".yml"):
            with open(path, encoding="utf-8") as f:
                names = set(re.findall(r"\bGLOSSA_([A-Z0-9_]+)", f.read()))
            names -= {"IMAGE", "MODELS"}  # compose's own variables
            for name in sorted(names):
                with self.subTest(path=os.path.relpath(path, ROOT), name=name):
                    self.assertIn(name.lower(), flags)

    def test_multi_model_setup(self):
        kustomization = load_one_yaml(os.path.join(MULTI_MODEL, "kustomization.yaml"))
        self.assertIn("../base", kustomization["resources"])
        (generator,) = kustomization["configMapGenerator"]
        self.assertTrue(generator["options"]["disableNameSuffixHash"],
                        "a hashed name would roll the pods on every edit")
        patch = load_one_yaml(os.path.join(MULTI_MODEL, "deployment-patch.yaml"))
        pod = patch["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = {e["name"]: e["value"] for e in container["env"]}
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        # The config file is a file of the mounted ConfigMap (not subPath:
        # edits must reach it).
        config = env["GLOSSA_MODELS_CONFIG"]
        config_mount = mounts["models-config"]
        self.assertEqual(os.path.dirname(config), config_mount["mountPath"])
        self.assertNotIn("subPath", config_mount)
        self.assertEqual(volumes["models-config"]["configMap"]["name"], generator["name"])
        self.assertIn(os.path.basename(config), generator["files"])
        self.assertGreater(int(env["GLOSSA_MODEL_POLL_SECONDS"]), 0)
        # Every model lives on the repository volume, which is the PVC.
        repository = mounts["models"]["mountPath"]
        self.assertTrue(mounts["models"]["readOnly"])
        pvc = load_one_yaml(os.path.join(MULTI_MODEL, "model-repository-pvc.yaml"))
        self.assertEqual(volumes["models"]["persistentVolumeClaim"]["claimName"],
                         pvc["metadata"]["name"])
        with open(os.path.join(MULTI_MODEL, "models.json"), encoding="utf-8") as f:
            models = json.load(f)
        names = set()
        for model in models["models"]:
            with self.subTest(model=model["name"]):
                self.assertTrue(model["path"].startswith(repository + "/"))
                self.assertIn(model.get("load", "startup"), ("startup", "on_demand"))
                names.add(model["name"])
                names.update(model.get("aliases", []))
        self.assertIn(models["default_model"], names)
        # The weights cap leaves room under the memory limit.
        limit = container["resources"]["limits"]["memory"]
        self.assertTrue(limit.endswith("Gi"))
        self.assertLess(int(env["GLOSSA_MAX_RESIDENT_BYTES"]), int(limit[:-2]) << 30)

        compose = load_one_yaml(COMPOSE_MULTI_MODEL)["services"]["glossa"]
        (volume,) = compose["volumes"]
        source, target, mode = re.sub(r"\$\{GLOSSA_MODELS:-([^}]*)\}", r"\1",
                                      volume).split(":")
        self.assertEqual(mode, "ro")
        self.assertEqual(compose["environment"]["GLOSSA_MODEL_REPOSITORY"], target)
        # The default repository is the source tree's models/, with de-en.
        self.assertTrue(os.path.isfile(os.path.join(
            DEPLOY, "compose", source, "de-en", "config.json")))

    @unittest.skipUnless(shutil.which("promtool"), "promtool not installed")
    def test_prometheus_config_passes_promtool(self):
        result = subprocess.run(["promtool", "check", "config", COMPOSE_PROMETHEUS],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_k8s_deployment(self):
        objects = k8s_objects()
        deployment = objects[("Deployment", "glossa")]
        pod = deployment["spec"]["template"]["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        for key, value in deployment["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(labels.get(key), value)
        (container,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(ports, {"grpc": GRPC_PORT, "http": HTTP_PORT,
                                 "metrics": METRICS_PORT})

        # gRPC health probes on the serving port.
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            with self.subTest(probe=probe):
                self.assertEqual(container[probe]["grpc"]["port"], GRPC_PORT)

        # CPU in whole cores, requests == limits, OpenMP threads = limit.
        resources = container["resources"]
        cpu_limit = str(resources["limits"]["cpu"])
        self.assertRegex(cpu_limit, r"^[1-9][0-9]*$", "CPU limit must be whole cores")
        self.assertEqual(str(resources["requests"]["cpu"]), cpu_limit)
        env = env_map(container)
        field = env["GLOSSA_NUM_THREADS"]["valueFrom"]["resourceFieldRef"]
        self.assertEqual(field["resource"], "limits.cpu")
        self.assertEqual(field.get("containerName"), container["name"])
        self.assertEqual(str(field.get("divisor", "1")), "1")

        # Shutdown: preStop sleep, then the drain, within the grace period;
        # liveness does not kill a draining pod.
        drain = int(env["GLOSSA_DRAIN_GRACE_SECONDS"]["value"])
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        self.assertEqual(command[0], "sleep")
        pre_stop = int(command[1])
        self.assertGreater(pod["terminationGracePeriodSeconds"], pre_stop + drain)
        live = container["livenessProbe"]
        self.assertGreater(live["periodSeconds"] * live["failureThreshold"], drain)

        self.assertEqual(env["GLOSSA_PORT"]["value"], str(GRPC_PORT))
        self.assertEqual(env["GLOSSA_METRICS_PORT"]["value"], str(METRICS_PORT))
        self.assertEqual(env["GLOSSA_HTTP_PORT"]["value"], str(HTTP_PORT))
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/port"], str(METRICS_PORT))

    def test_k8s_services_hpa_pdb_select_the_pods(self):
        objects = k8s_objects()
        deployment = objects[("Deployment", "glossa")]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        port_names = {p["name"] for p in deployment["spec"]["template"]["spec"]
                      ["containers"][0]["ports"]}
        service = objects[("Service", "glossa")]
        headless = objects[("Service", "glossa-headless")]
        self.assertEqual(headless["spec"]["clusterIP"], "None")
        for svc in (service, headless):
            with self.subTest(service=svc["metadata"]["name"]):
                for key, value in svc["spec"]["selector"].items():
                    self.assertEqual(labels.get(key), value)
                for port in svc["spec"]["ports"]:
                    self.assertIn(port["targetPort"], port_names)
        pdb = objects[("PodDisruptionBudget", "glossa")]
        for key, value in pdb["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(labels.get(key), value)
        hpas = [objects[("HorizontalPodAutoscaler", "glossa")],
                load_one_yaml(os.path.join(CUSTOM_METRICS, "hpa-queue-depth.yaml"))]
        for hpa in hpas:
            ref = hpa["spec"]["scaleTargetRef"]
            self.assertEqual((ref["kind"], ref["name"]), ("Deployment", "glossa"))
            self.assertLessEqual(hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"])
        pods_metrics = [m["pods"]["metric"]["name"] for m in hpas[1]["spec"]["metrics"]
                        if m["type"] == "Pods"]
        self.assertEqual(pods_metrics, ["glossa_queue_depth"])

    def test_kustomizations_list_existing_files(self):
        for directory, _, names in os.walk(os.path.join(DEPLOY, "k8s")):
            if "kustomization.yaml" not in names:
                continue
            kustomization = load_one_yaml(os.path.join(directory, "kustomization.yaml"))
            entries = kustomization.get("resources", []) + [
                p["path"] for p in kustomization.get("patches", []) if "path" in p]
            for entry in entries:
                with self.subTest(kustomization=os.path.relpath(directory, ROOT), entry=entry):
                    self.assertTrue(os.path.exists(os.path.join(directory, entry)))

    @unittest.skipUnless(shutil.which("kubectl"), "kubectl not installed")
    def test_kustomize_builds(self):
        base_kinds = ["Deployment", "HorizontalPodAutoscaler",
                      "PodDisruptionBudget", "Service", "Service"]
        expected = {
            os.path.join(DEPLOY, "k8s"): (None, base_kinds),
            CUSTOM_METRICS: ("glossa_queue_depth", base_kinds),
            MULTI_MODEL: ("GLOSSA_MODELS_CONFIG", sorted(
                base_kinds + ["ConfigMap", "PersistentVolumeClaim"])),
        }
        for directory, (must_contain, want_kinds) in expected.items():
            with self.subTest(directory=os.path.relpath(directory, ROOT)):
                result = subprocess.run(["kubectl", "kustomize", directory],
                                        capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, result.stderr)
                kinds = sorted(d["kind"] for d in yaml.safe_load_all(result.stdout) if d)
                self.assertEqual(kinds, want_kinds)
                if must_contain:
                    self.assertIn(must_contain, result.stdout)

    def test_dockerfile(self):
        with open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8") as f:
            text = f.read()
        # Join continuation lines, drop comments.
        lines = [l.strip() for l in re.sub(r"\\\n", " ", text).splitlines()]
        lines = [l for l in lines if l and not l.startswith("#")]
        instructions = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1]) for l in lines]
        froms = [arg for op, arg in instructions if op == "FROM"]
        self.assertEqual(len(froms), 2, "one build stage, one runtime stage")
        self.assertTrue(froms[0].startswith("debian:${DEBIAN_RELEASE}"))
        self.assertTrue(froms[1].startswith("debian:${DEBIAN_RELEASE}-slim"))
        self.assertIn("tools/install_deps.sh --build-only", text)
        last_stage = instructions[[op for op, _ in instructions].index("FROM", 1):]
        ops = {}
        for op, arg in last_stage:
            ops.setdefault(op, []).append(arg)
        entrypoint = json.loads(ops["ENTRYPOINT"][-1])
        self.assertIsInstance(entrypoint, list, "ENTRYPOINT must be exec form")
        self.assertTrue(entrypoint[0].endswith("/glossa-server"))
        self.assertEqual(ops["STOPSIGNAL"], ["SIGTERM"])
        self.assertEqual(sorted(ops["EXPOSE"][0].split()),
                         sorted([str(GRPC_PORT), str(HTTP_PORT), str(METRICS_PORT)]))
        user = ops["USER"][-1].split(":")[0]
        self.assertNotIn(user, ("root", "0"))
        self.assertRegex(ops["HEALTHCHECK"][-1], r"CMD .*glossa health ")
        for artefact in ("glossa-server", "glossa ", "libglossa_spm_shim.so", "models/de-en"):
            self.assertIn(artefact, text)


class MetricNamesTest(unittest.TestCase):
    """Needs a server binary and a model: set by main() from the command line."""
    server = None
    model = None

    def test_queried_metrics_are_exposed(self):
        queried = queried_metric_names()
        self.assertTrue(queried, "no glossa_* metric found in the dashboard or HPA")
        with GlossaServer(self.server, self.model) as server:
            # Series with labels (rpc, code) appear with the first call.
            server.get_model_info()
            types, samples = parse_exposition(server.metrics_text())
        exposed = set(types) | samples
        for name, where in sorted(queried.items()):
            with self.subTest(metric=name):
                if name in exposed:
                    continue
                base = base_name(name)
                self.assertTrue(
                    base != name and types.get(base) == "histogram",
                    f"{name} (queried in {sorted(set(where))}) is not in /metrics; "
                    f"exposed glossa families: {sorted(n for n in types if n.startswith('glossa_'))}")


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--server")
    parser.add_argument("--model")
    args, rest = parser.parse_known_args()
    if args.server:
        MetricNamesTest.server = args.server
        MetricNamesTest.model = args.model
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(MetricNamesTest)
    else:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(ManifestsTest)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
