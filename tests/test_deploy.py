"""The deploy kit holds together: every YAML file parses, every role the compose files and the Kubernetes
manifests name is one the entrypoint runs, each Lantern service gets the settings it needs (checked by
Django's own deployment check with the compose file's environment), the kustomization and the mounts name
files that exist, the Dockerfile copies only what is there, and the ClickHouse configuration names
settings the engine knows, at the version chDB ships.

No Docker or Kubernetes runs here: this checks the files as written, not a running installation.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from analytics import client
from analytics.topology import Layout

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
LANTERN_ROLES = {"web", "flusher", "worker", "beat", "migrate"}
SERVER_SETTINGS = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "BASE_URL", "ALLOWED_HOSTS"}
YAML_FILES = sorted([*DEPLOY.glob("*.yaml"), *K8S.glob("*.yaml")])


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def entrypoint_roles() -> set[str]:
    """The roles of the entrypoint's ``case`` (each arm ``name)`` at the start of a line)."""
    return set(re.findall(r"^([a-z]+)\)$", ENTRYPOINT.read_text(), re.M))


def lantern_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: s for name, s in compose["services"].items() if str(s.get("image", "")).startswith("${LANTERN")
    }


def env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (DEPLOY / ".env.example").read_text().splitlines())
    return {key: value for key, *rest in pairs if not key.startswith("#") and rest for value in rest}


_VARIABLE = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}``; a missing required one fails."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match[1], match[2], match[3]
        if values.get(name):
            return values[name]
        if kind == ":?":
            raise AssertionError(f"{name} is required and unset: {rest}")
        return rest if kind == ":-" else ""

    return _VARIABLE.sub(one, text).replace("$$", "$")


def merged_compose(*files: str) -> dict[str, Any]:
    """The compose files merged as ``docker compose -f a -f b`` does for what these files use: service
    mappings merged key by key (environment too), other values replaced."""

    def merge(base: Any, over: Any) -> Any:
        if isinstance(base, dict) and isinstance(over, dict):
            return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
        return over

    result: dict[str, Any] = {}
    for name in files:
        result = merge(result, load(DEPLOY / name))
    return result


# --- every file parses; roles ----------------------------------------------------------------------


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    assert documents and all(isinstance(doc, dict) for doc in documents)


def test_the_entrypoint_runs_every_role() -> None:
    assert entrypoint_roles() >= LANTERN_ROLES


@pytest.mark.parametrize("name", ["compose.yaml", "compose.cluster.yaml"])
def test_every_role_in_compose_is_one_the_entrypoint_runs(name: str) -> None:
    compose = merged_compose("compose.yaml", name)
    services = lantern_services(compose)
    commands = {service["command"][0] for service in services.values()}
    assert commands == LANTERN_ROLES
    assert commands <= entrypoint_roles()
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["migrate"]["restart"] == "no"
    after = {n for n, s in services.items() if "migrate" in s.get("depends_on", {})}
    assert after == LANTERN_ROLES - {"migrate"}


def test_the_entrypoint_refuses_an_unknown_role_and_server_roles_without_redis() -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("REDIS_URL", None)
    unknown = subprocess.run(["sh", str(ENTRYPOINT), "gardener"], capture_output=True, text=True, env=env)
    assert unknown.returncode == 64 and "usage:" in unknown.stderr
    for role in ("flusher", "worker", "beat"):
        refused = subprocess.run(["sh", str(ENTRYPOINT), role], capture_output=True, text=True, env=env)
        assert refused.returncode == 64 and "needs REDIS_URL" in refused.stderr, role


def test_the_entrypoint_runs_a_management_command() -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), "manage", "check"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# --- settings each service gets ---------------------------------------------------------------------


@pytest.mark.parametrize("files", [("compose.yaml",), ("compose.yaml", "compose.cluster.yaml")])
def test_each_lantern_service_gets_the_settings_server_mode_needs(
    tmp_path: Path, files: tuple[str, ...]
) -> None:
    compose = merged_compose(*files)
    values = env_example()
    for name, service in lantern_services(compose).items():
        env = {key: interpolate(str(value), values) for key, value in service["environment"].items()}
        assert set(env) >= SERVER_SETTINGS, name
        assert env["CLICKHOUSE_TOPOLOGY"] == ("replicated" if len(files) == 2 else "single"), name
        # Django's deployment check with exactly this environment (a data dir of the test's own)
        checked = {"PATH": os.environ["PATH"], **env, "LANTERN_DATA_DIR": str(tmp_path / name)}
        if "PROMETHEUS_MULTIPROC_DIR" in env:  # a tmpfs in the container: a directory of the test's here
            (tmp_path / f"{name}-prometheus").mkdir()
            checked["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / f"{name}-prometheus")
        result = subprocess.run(
            [sys.executable, "-m", "panel.manage", "check", "--deploy", "--fail-level", "WARNING"],
            capture_output=True,
            text=True,
            env=checked,
            cwd=ROOT,
        )
        assert result.returncode == 0, (name, result.stdout + result.stderr)


def test_a_required_secret_left_out_stops_compose(tmp_path: Path) -> None:
    values = {k: v for k, v in env_example().items() if k != "SECRET_KEY"}
    service = lantern_services(load(DEPLOY / "compose.yaml"))["web"]
    with pytest.raises(AssertionError, match="SECRET_KEY is required"):
        interpolate(str(service["environment"]["SECRET_KEY"]), values)


def test_redis_keeps_every_change_on_disk() -> None:
    command = load(DEPLOY / "compose.yaml")["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"


def test_the_cluster_has_keeper_and_two_replicas_of_one_shard() -> None:
    compose = merged_compose("compose.yaml", "compose.cluster.yaml")
    services = compose["services"]
    assert "keeper" in services and {"clickhouse", "clickhouse-2"} <= set(services)
    cluster = ElementTree.parse(DEPLOY / "clickhouse" / "cluster" / "cluster.xml").getroot()
    shards = cluster.findall("remote_servers/lantern/shard")
    assert len(shards) == 1
    hosts = [replica.findtext("host") for replica in shards[0].findall("replica")]
    assert hosts == ["clickhouse", "clickhouse-2"]
    assert cluster.findtext("zookeeper/node/host") == "keeper"
    replicas = set()
    for number, host in enumerate(hosts, start=1):
        macros = ElementTree.parse(DEPLOY / "clickhouse" / "cluster" / f"macros-{number}.xml").getroot()
        assert macros.findtext("macros/shard") == "1"
        assert macros.findtext("macros/cluster") == Layout.from_env().cluster == "lantern"
        replicas.add(macros.findtext("macros/replica"))
        mounts = " ".join(services[host]["volumes"])
        assert f"macros-{number}.xml:" in mounts and "cluster.xml:" in mounts
    assert len(replicas) == 2


@pytest.mark.parametrize("name", ["compose.yaml", "compose.cluster.yaml"])
def test_every_file_compose_mounts_exists(name: str) -> None:
    for service in load(DEPLOY / name)["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name}: {volume}"


# --- ClickHouse: the version chDB ships, settings the engine knows ----------------------------------


def test_clickhouse_is_pinned_to_the_engine_version_chdb_ships(clickhouse: None) -> None:
    engine = str(client.execute("SELECT version()", tag="t").rows[0][0])
    major_minor = ".".join(engine.split(".")[:2])
    compose = merged_compose("compose.yaml", "compose.cluster.yaml")
    images = {s["image"] for s in compose["services"].values() if "clickhouse/" in str(s.get("image", ""))}
    assert images == {
        f"clickhouse/clickhouse-server:{major_minor}",
        f"clickhouse/clickhouse-keeper:{major_minor}",
    }


def test_the_clickhouse_settings_are_ones_the_engine_knows(clickhouse: None) -> None:
    config = ElementTree.parse(DEPLOY / "clickhouse" / "config.d" / "low-resources.xml").getroot()
    server = set(str(r[0]) for r in client.execute("SELECT name FROM system.server_settings", tag="t").rows)
    sections = {"logger", "listen_host", "query_cache"}
    for element in config:
        if element.get("remove") == "1":
            assert element.tag.endswith("_log"), element.tag  # a system log table, turned off
        elif element.tag not in sections:
            assert element.tag in server, element.tag
    assert config.find("uncompressed_cache_size").text == "0"  # type: ignore[union-attr]
    assert config.find("query_log").get("remove") == "1"  # type: ignore[union-attr]
    users = ElementTree.parse(DEPLOY / "clickhouse" / "users.d" / "low-resources.xml").getroot()
    known = set(str(r[0]) for r in client.execute("SELECT name FROM system.settings", tag="t").rows)
    profile = users.find("profiles/default")
    assert profile is not None and len(profile)
    assert {setting.tag for setting in profile} <= known


# --- Kubernetes ---------------------------------------------------------------------------------------


def k8s_documents() -> list[dict[str, Any]]:
    resources = load(K8S / "kustomization.yaml")["resources"]
    return [doc for name in resources for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = document["spec"]["template"]["spec"]
    return spec


def test_the_kustomization_lists_files_that_exist_and_every_manifest() -> None:
    resources = load(K8S / "kustomization.yaml")["resources"]
    assert all((K8S / name).is_file() for name in resources)
    assert set(resources) == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_the_manifests_run_every_role_once_each_with_a_single_beat() -> None:
    workloads = [d for d in k8s_documents() if d["kind"] in {"Deployment", "Job"}]
    roles = {pod_spec(d)["containers"][0]["args"][0]: d for d in workloads}
    assert set(roles) == LANTERN_ROLES and set(roles) <= entrypoint_roles()
    assert roles["migrate"]["kind"] == "Job"
    beat = roles["beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    for document in workloads:
        assert pod_spec(document)["securityContext"]["runAsNonRoot"] is True


def test_web_probes_and_volumes() -> None:
    documents = k8s_documents()
    web = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "lantern-web")
    container = pod_spec(web)["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/data/fallback-spool", "/data/exports"} <= mounts
    claims = {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    for document in documents:
        if document["kind"] in {"Deployment", "Job"}:
            used = {
                v["persistentVolumeClaim"]["claimName"]
                for v in pod_spec(document)["volumes"]
                if "persistentVolumeClaim" in v
            }
            assert used <= claims, document["metadata"]["name"]


def test_the_config_map_and_secret_hold_every_setting_server_mode_needs() -> None:
    documents = k8s_documents()
    config = next(d for d in documents if d["kind"] == "ConfigMap")
    secret = next(d for d in documents if d["kind"] == "Secret")
    provided = set(config["data"]) | set(secret["stringData"])
    assert provided >= SERVER_SETTINGS
    for document in documents:
        if document["kind"] in {"Deployment", "Job"}:
            sources = pod_spec(document)["containers"][0]["envFrom"]
            names = {s.get("configMapRef", s.get("secretRef", {})).get("name") for s in sources}
            assert names == {config["metadata"]["name"], secret["metadata"]["name"]}


# --- the image --------------------------------------------------------------------------------------


def dockerfile_lines() -> list[str]:
    return (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()


def test_the_dockerfile_copies_only_what_exists() -> None:
    stages = set()
    copied = 0
    for line in dockerfile_lines():
        if match := re.match(r"FROM \S+ AS (\w+)", line):
            stages.add(match[1])
        if not line.startswith("COPY "):
            continue
        words = line.split()[1:]
        source_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        *sources, _target = [w for w in words if not w.startswith("--")]
        if source_stage:
            assert source_stage in stages, line
            continue
        for source in sources:
            assert (ROOT / source).exists(), line
            copied += 1
    assert copied > 5


def test_the_image_runs_as_a_user_and_starts_a_role() -> None:
    lines = dockerfile_lines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    cmd = next(line for line in reversed(lines) if line.startswith("CMD "))
    assert cmd == 'CMD ["web"]' and "web" in entrypoint_roles()
    assert any("collectstatic" in line for line in lines)  # static files collected at build time
    assert os.access(ENTRYPOINT, os.X_OK)
