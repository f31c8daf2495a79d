"""The deployment files agree with each other, with the Dockerfile and with gunicorn.conf.py."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"


def _docs() -> dict[tuple[str, str], dict]:
    out = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                assert {"apiVersion", "kind", "metadata"} <= set(doc), path
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def _gunicorn_conf() -> dict:
    """The settings gunicorn would read (the file sets env vars: restore them after)."""
    namespace: dict = {"__file__": str(ROOT / "gunicorn.conf.py")}
    saved = dict(os.environ)
    try:
        exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    finally:
        created = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        os.environ.clear()
        os.environ.update(saved)
        if created and created != saved.get("PROMETHEUS_MULTIPROC_DIR"):
            shutil.rmtree(created, ignore_errors=True)
    return namespace


def test_deployment_probes_port_and_security():
    docs = _docs()
    deployment = docs[("Deployment", "actfn")]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    exposed = int(re.search(r"^EXPOSE (\d+)", _dockerfile(), re.M).group(1))
    (port,) = container["ports"]
    assert port["containerPort"] == exposed == 8000
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
    # Non-root, and the same user the image declares.
    uid = re.search(r"^USER (\d+):(\d+)", _dockerfile(), re.M)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == uid.group(1)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # SIGTERM lets in-flight requests finish: the pod waits longer than gunicorn does.
    conf = _gunicorn_conf()
    assert pod["terminationGracePeriodSeconds"] > conf["graceful_timeout"]
    assert conf["timeout"] > conf["graceful_timeout"] / 2
    # Probes are answered well inside gunicorn's worker timeout.
    assert container["livenessProbe"]["timeoutSeconds"] < conf["timeout"]
    assert "STOPSIGNAL SIGTERM" in _dockerfile()
    assert (
        deployment["spec"]["selector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    env = {e["name"] for e in container["env"]}
    assert {"ACTFN_QUIZ_SECRET", "ACTFN_RATE_LIMIT_STORAGE"} <= env


def test_service_hpa_and_redis_point_at_the_right_things():
    docs = _docs()
    deployment = docs[("Deployment", "actfn")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = docs[("Service", "actfn")]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = docs[("HorizontalPodAutoscaler", "actfn")]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "actfn")
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    # Resource requests exist, or CPU utilisation cannot be computed.
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
    storage = next(
        e["value"]
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "ACTFN_RATE_LIMIT_STORAGE"
    )
    host, port = re.match(r"redis://([^:/]+):(\d+)", storage).groups()
    redis_service = docs[("Service", host)]
    assert redis_service["spec"]["ports"][0]["port"] == int(port)


def test_docker_compose_matches_the_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    actfn = compose["services"]["actfn"]
    assert actfn["build"] == "." and actfn["ports"] == ["8000:8000"]
    assert actfn["environment"]["ACTFN_RATE_LIMIT_STORAGE"] == "redis://redis:6379"
    assert "redis" in compose["services"]
    assert actfn["stop_signal"] == "SIGTERM"
    grace = int(actfn["stop_grace_period"].rstrip("s"))
    assert grace > _gunicorn_conf()["graceful_timeout"]


def test_dockerfile_is_pinned_non_root_and_lean():
    text = _dockerfile()
    bases = re.findall(r"^FROM (\S+)", text, re.M)
    assert bases and all(re.search(r":\d+\.\d+\.\d+", b) for b in bases)  # pinned versions
    assert "HEALTHCHECK" in text and "/readyz" in text
    final = text.split("FROM ")[-1]
    assert "USER 10001" in final
    assert not re.search(r"apt-get install|build-essential|gcc", final)  # no build tools in the final image
    assert "COPY --from=build" in final


def test_gunicorn_limits_and_recycling():
    conf = _gunicorn_conf()
    assert conf["preload_app"] is False
    assert conf["max_requests"] > 0 and conf["max_requests_jitter"] > 0
    assert conf["limit_request_line"] > 0 and conf["limit_request_fields"] > 0
