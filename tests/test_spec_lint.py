"""openapi.yaml passes Spectral (spectral:oas, .spectral.yaml) and Redocly (recommended,
redocly.yaml) with no error and no warning; skipped where the pinned linters are not installed
under build/npm (`make tools` installs them)."""

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
BIN = ROOT / "build" / "npm" / "node_modules" / ".bin"
# Pinned in the Makefile (its `tools` target installs them): the findings depend on the rule
# sets of these exact versions.
PINS = dict(re.findall(r"^(SPECTRAL|REDOCLY) := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE))
SPECTRAL, REDOCLY = PINS["SPECTRAL"], PINS["REDOCLY"]
INSTALL = "make tools"
# No usage reports and no update check from Redocly: the suite runs offline.
ENV = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}


def tool(name: str, version: str) -> str:
    path = BIN / name
    if shutil.which("node") is None or not path.exists():
        pytest.skip(f"{name} {version} is not installed under build/npm (needs node 20+): run `{INSTALL}`")
    found = run(path, "--version").stdout.strip()
    assert found == version, f"build/npm has {name} {found}, the test pins {version}: run `{INSTALL}`"
    return str(path)


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300, check=False)


def test_spectral_finds_nothing():
    spectral = tool("spectral", SPECTRAL)
    result = run(spectral, "lint", "--ruleset", ".spectral.yaml", "--fail-severity=warn", "--format=stylish", SPEC.name)
    if result.returncode:
        pytest.fail(f"spectral:\n{result.stdout}{result.stderr}", pytrace=False)


def test_redocly_finds_nothing():
    redocly = tool("redocly", REDOCLY)
    # --lint-config error: a misspelt rule in redocly.yaml is an error, not a silent no-op.
    result = run(redocly, "lint", "--config", "redocly.yaml", "--lint-config", "error", "--format=json", SPEC.name)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"redocly exited {result.returncode} without a report:\n{result.stdout}{result.stderr}")
    problems = [
        f"{p['severity']} {p['ruleId']} at {p['location'][0]['pointer'] if p['location'] else '?'}: {p['message']}"
        for p in report["problems"]
    ]
    if problems:
        pytest.fail("redocly:\n" + "\n".join(problems), pytrace=False)
    # A .redocly.lint-ignore.yaml would hide findings: rules are turned off in redocly.yaml, with a reason.
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}
    assert result.returncode == 0, result.stderr
