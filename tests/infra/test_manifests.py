"""The deployment files are checked offline: Kubernetes manifests against the Kubernetes API
schemas that ``kubernetes-validate`` bundles, the compose file against the compose-spec schema
that ``check-jsonschema`` vendors, and the Dockerfiles for the properties the issue asks for."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

INFRA = Path(__file__).resolve().parents[2] / "infra"
K8S = INFRA / "k8s"
K8S_VERSION = "1.33.0"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _all_resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in _documents(path)]


def _by_kind_name(kind: str, name: str) -> dict[str, Any]:
    [found] = [r for r in _all_resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_kubernetes_manifests_match_the_api_schema(path: Path) -> None:
    for doc in _documents(path):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    [kustomization] = _documents(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in MANIFESTS} - {"secret.example.yaml"}


def _container(resource: dict[str, Any]) -> dict[str, Any]:
    [container] = resource["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_one_scheduler_replaced_by_recreate_and_workers_without_it() -> None:
    scheduler = _by_kind_name("Deployment", "anbu-scheduler")
    worker = _by_kind_name("Deployment", "anbu-worker")
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"]["type"] == "Recreate"
    assert _env(_container(scheduler))["ANBU_CAMPAIGNS_ENABLED"] == "true"
    assert _env(_container(worker))["ANBU_CAMPAIGNS_ENABLED"] == "false"
    assert worker["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("name", ["anbu-worker", "anbu-scheduler"])
def test_pods_probe_drain_and_take_secrets_from_the_cluster(name: str) -> None:
    deployment = _by_kind_name("Deployment", name)
    pod = deployment["spec"]["template"]["spec"]
    container = _container(deployment)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    drain = float(_by_kind_name("ConfigMap", "anbu-config")["data"]["ANBU_DRAIN_TIMEOUT_SECS"])
    assert pod["terminationGracePeriodSeconds"] > drain
    assert pod["securityContext"]["runAsNonRoot"] is True
    env = _env(container)
    for secret in ("ANBU_DATABASE_URL", "TWILIO_AUTH_TOKEN", "ANBU_ADMIN_PASSWORD"):
        assert env[secret]["secretKeyRef"]["name"] == "anbu-secrets"


def test_ingress_carries_websockets_sticky_to_the_workers() -> None:
    ingress = _by_kind_name("Ingress", "anbu")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert ingress["spec"]["tls"]
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert path["backend"]["service"]["name"] == "anbu-worker"


def test_autoscaler_scales_workers_on_active_calls() -> None:
    hpa = _by_kind_name("HorizontalPodAutoscaler", "anbu-worker")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "anbu-worker"
    [metric] = hpa["spec"]["metrics"]
    assert metric["pods"]["metric"]["name"] == "anbu_active_calls"


def _compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendor.joinpath("compose-spec.json").read_text())
    return schema


def test_compose_file_matches_the_compose_spec() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    jsonschema.validate(compose, _compose_schema())
    anbu = compose["services"]["anbu"]
    assert anbu["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in anbu and "healthcheck" in compose["services"]["postgres"]
    assert anbu["environment"]["ANBU_DATABASE_URL"].startswith("postgresql://")
    assert anbu["build"]["dockerfile"] in ("infra/Dockerfile.cpu",)


def test_the_compose_schema_really_rejects_mistakes() -> None:
    broken = {"services": {"anbu": {"image": "anbu", "ports": "8000:8000", "restrat": "always"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _compose_schema())


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


@pytest.mark.parametrize("name", ["Dockerfile.cpu", "Dockerfile.cuda"])
def test_dockerfiles_are_multi_stage_non_root_and_download_no_models(name: str) -> None:
    steps = _instructions(INFRA / name)
    known = {"ARG", "FROM", "ENV", "RUN", "COPY", "USER", "WORKDIR", "EXPOSE", "HEALTHCHECK"}
    assert {word for word, _ in steps} <= known | {"STOPSIGNAL", "CMD"}
    stages = [rest for word, rest in steps if word == "FROM"]
    assert len(stages) >= 2 and any(" AS build" in s for s in stages)
    final = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    tail = steps[final:]
    assert any(w == "COPY" and r.startswith("--from=build") for w, r in tail)
    [user] = [r for w, r in tail if w == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    runs = " ".join(r for w, r in steps if w == "RUN")
    assert not re.search(r"\b(curl|wget)\b", runs), "models come from packages, not downloads"
    assert "pip install /src" in runs
    assert "torch==2.13.0" in runs  # the pinned version, as its CPU build
    env = " ".join(r for w, r in tail if w == "ENV")
    assert "HF_HUB_OFFLINE=1" in env and "ANBU_LOG_FORMAT=json" in env
    [cmd] = [r for w, r in tail if w == "CMD"]
    assert json.loads(cmd)[:2] == ["anbu", "serve"]


def test_the_kubernetes_schemas_really_reject_mistakes() -> None:
    worker = _by_kind_name("Deployment", "anbu-worker")
    container = _container(worker)
    container["readinesProbe"] = container.pop("readinessProbe")  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, K8S_VERSION, strict=True)
