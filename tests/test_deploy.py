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


def _containers(deployment: dict) -> dict[str, dict]:
    return {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container["env"]}


def test_deployment_probes_ports_and_security():
    docs = _docs()
    deployment = docs[("Deployment", "actfn")]
    pod = deployment["spec"]["template"]["spec"]
    containers = _containers(deployment)
    app, nginx = containers["actfn"], containers["nginx"]
    env = _env(app)
    exposed = [int(p) for p in re.search(r"^EXPOSE ([\d ]+)$", _dockerfile(), re.M).group(1).split()]
    app_ports = {p["name"]: p["containerPort"] for p in app["ports"]}
    mcp = containers["mcp"]
    mcp_ports = {p["name"]: p["containerPort"] for p in mcp["ports"]}
    assert app_ports == {"app": 8000, "health": 8081} and mcp_ports == {"mcp": 8001}
    assert sorted([*app_ports.values(), *mcp_ports.values()]) == exposed
    # The MCP server: the same image, its own gunicorn on loopback, reached through nginx.
    assert mcp["image"] == app["image"] and mcp["command"][:3] == ["gunicorn", "-c", "gunicorn.mcp.conf.py"]
    assert _env(mcp)["ACTFN_MCP_BIND"] == "127.0.0.1:8001" and _env(nginx)["ACTFN_MCP_UPSTREAM"] == "127.0.0.1:8001"
    assert _env(mcp)["ACTFN_RATE_LIMIT_STORAGE"] == env["ACTFN_RATE_LIMIT_STORAGE"]
    # gunicorn listens on loopback only: nginx is the way in, and the one proxy trusted.
    assert env["ACTFN_BIND"] == "127.0.0.1:8000" and env["ACTFN_PROXY_COUNT"] == "1"
    assert env["ACTFN_HEALTH_BIND"].endswith(":8081")
    nginx_env = _env(nginx)
    assert nginx_env["ACTFN_UPSTREAM"] == "127.0.0.1:8000" and nginx_env["ACTFN_HEALTH_UPSTREAM"] == "127.0.0.1:8081"
    (http,) = nginx["ports"]
    assert (http["name"], http["containerPort"], nginx_env["NGINX_PORT"]) == ("http", 8080, "8080")
    # Readiness goes through nginx to a worker; liveness asks gunicorn's master, which answers
    # while every worker is busy.
    assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
    assert app["startupProbe"]["httpGet"] == {"path": "/readyz", "port": 8080}
    assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    # Non-root, and the same user the image declares.
    uid = re.search(r"^USER (\d+):(\d+)", _dockerfile(), re.M)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == uid.group(1)
    for container in containers.values():
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        # The endpoints controller stops routing here before SIGTERM arrives.
        assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    # SIGTERM lets in-flight requests finish: the pod waits longer than preStop + gunicorn.
    conf = _gunicorn_conf()
    pre_stop = int(app["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + conf["graceful_timeout"]
    assert conf["timeout"] > conf["graceful_timeout"] / 2
    assert app["livenessProbe"]["timeoutSeconds"] < conf["timeout"]
    assert "STOPSIGNAL SIGTERM" in _dockerfile()
    assert (
        deployment["spec"]["selector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    assert {"ACTFN_QUIZ_SECRET", "ACTFN_RATE_LIMIT_STORAGE"} <= set(env)
    # nginx's template comes from the kustomization's ConfigMap, as default.conf (replacing
    # the image's own server).
    mounts = {m["mountPath"]: m for m in nginx["volumeMounts"]}
    assert mounts["/etc/nginx/templates/default.conf.template"]["subPath"] == "default.conf.template"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/etc/nginx/templates/default.conf.template"]["name"]]["configMap"]["name"] == "actfn-nginx"


def test_kustomization_applies_every_manifest_and_the_nginx_template():
    kustomization = yaml.safe_load((ROOT / "deploy" / "kustomization.yaml").read_text())
    listed = {str((ROOT / "deploy" / r).resolve()) for r in kustomization["resources"]}
    manifests = {str(p.resolve()) for p in K8S.glob("*.yaml") if p.name != "secret.example.yaml"}
    assert listed == manifests  # the example secret is never applied by accident
    (generator,) = kustomization["configMapGenerator"]
    assert generator["name"] == "actfn-nginx"
    key, path = generator["files"][0].split("=")
    assert key == "default.conf.template" and (ROOT / "deploy" / path).is_file()


def test_service_hpa_and_redis_point_at_the_right_things():
    docs = _docs()
    deployment = docs[("Deployment", "actfn")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = docs[("Service", "actfn")]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"  # nginx's port
    hpa = docs[("HorizontalPodAutoscaler", "actfn")]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "actfn")
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    pdb = docs[("PodDisruptionBudget", "actfn")]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # Resource requests exist in every container, or CPU utilisation cannot be computed.
    assert all(c["resources"]["requests"]["cpu"] for c in _containers(deployment).values())
    storage = _env(_containers(deployment)["actfn"])["ACTFN_RATE_LIMIT_STORAGE"]
    host, port = re.match(r"redis://([^:/]+):(\d+)", storage).groups()
    redis_service = docs[("Service", host)]
    assert redis_service["spec"]["ports"][0]["port"] == int(port)


def test_docker_compose_puts_nginx_in_front_and_requires_a_secret():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    nginx, actfn = compose["services"]["nginx"], compose["services"]["actfn"]
    assert nginx["ports"] == ["8000:8080"] and "ports" not in actfn  # only nginx is published
    assert any(v.endswith(":/etc/nginx/templates/default.conf.template:ro") for v in nginx["volumes"])
    assert (ROOT / nginx["volumes"][0].split(":")[0]).resolve() == (ROOT / "deploy/nginx/actfn.conf.template")
    assert nginx["environment"]["ACTFN_UPSTREAM"] == "actfn:" + actfn["environment"]["ACTFN_BIND"].split(":")[1]
    assert (
        nginx["environment"]["ACTFN_HEALTH_UPSTREAM"].split(":")[1]
        == actfn["environment"]["ACTFN_HEALTH_BIND"].split(":")[1]
    )
    mcp = compose["services"]["mcp"]
    assert mcp["image"] == actfn["image"] and "ports" not in mcp  # reached through nginx only
    assert mcp["entrypoint"] == ["gunicorn", "-c", "gunicorn.mcp.conf.py", "service.mcp.__main__:http_app()"]
    assert nginx["environment"]["ACTFN_MCP_UPSTREAM"] == "mcp:" + mcp["environment"]["ACTFN_MCP_BIND"].split(":")[1]
    assert mcp["environment"]["ACTFN_RATE_LIMIT_STORAGE"] == "redis://redis:6379"
    assert actfn["build"] == "." and actfn["environment"]["ACTFN_PROXY_COUNT"] == "1"
    assert actfn["environment"]["ACTFN_RATE_LIMIT_STORAGE"] == "redis://redis:6379"
    assert "redis" in compose["services"]
    # No public fallback: compose refuses to start without the secret.
    assert re.fullmatch(r"\$\{ACTFN_QUIZ_SECRET:\?[^}$]+\}", actfn["environment"]["ACTFN_QUIZ_SECRET"])
    assert "ACTFN_ENV=production" in _dockerfile()
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
