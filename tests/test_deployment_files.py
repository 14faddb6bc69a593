"""Static checks of the files no engine here can run: docker-compose.yml, prefect.yaml, the Dockerfile."""

import importlib
import inspect
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import Flow

from models.settings import Settings
from tests.cli_process import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
PREFECT_YAML = yaml.safe_load((REPO / "prefect.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_dependencies_exist_and_their_conditions_can_be_met() -> None:
    for name, service in SERVICES.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck for {name}"
            elif condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == "no", f"{target} must be a one-shot job for {name}"
            else:
                assert condition == "service_started"


def test_compose_files_and_build_contexts_exist() -> None:
    for name, service in SERVICES.items():
        if "build" in service:
            assert (REPO / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_compose_coinflow_settings_are_real_settings_fields() -> None:
    fields = {f"COINFLOW_{name.upper()}" for name in Settings.model_fields}
    for name, service in SERVICES.items():
        for key in service.get("environment", {}):
            if key.startswith("COINFLOW_"):
                assert key in fields, f"{name} sets unknown setting {key}"


def test_compose_coinflow_commands_exist_in_the_cli() -> None:
    from typer.main import get_command

    from deployments.cli import app

    cli = get_command(app)
    for name, service in SERVICES.items():
        argv = _command(service)
        if argv[:1] == ["coinflow"]:
            group: Any = cli
            for word in argv[1:]:
                if word.startswith("-") or not hasattr(group, "commands"):
                    break
                assert word in group.commands, f"{name}: `{' '.join(argv)}` is not a coinflow command"
                group = group.commands[word]


@pytest.mark.parametrize("deployment", PREFECT_YAML["deployments"], ids=lambda d: d["name"])
def test_prefect_yaml_entrypoints_are_flows_taking_those_parameters(deployment: dict[str, Any]) -> None:
    path, function = deployment["entrypoint"].split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    flow = getattr(module, function)
    assert isinstance(flow, Flow)
    accepted = inspect.signature(flow.fn).parameters
    assert set(deployment.get("parameters", {})) <= set(accepted)
    assert deployment["work_pool"]["name"] in " ".join(_command(SERVICES["deploy"]) + _command(SERVICES["worker"]))


def test_dockerfile_copies_only_what_exists() -> None:
    dockerfile = (REPO / "deployments" / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (?!--)(.+)$", dockerfile, flags=re.MULTILINE):
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), f"Dockerfile copies missing {source}"
    assert Path(REPO / "uv.lock").is_file()


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _docker_ignores(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (Go filepath.Match, ** for any depth)."""
    from fnmatch import fnmatch

    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in _dockerignore_patterns():
        bare = pattern.removeprefix("**/")
        if any(fnmatch(prefix, pattern) or fnmatch(parts[i], bare) for i, prefix in enumerate(prefixes)):
            return True
    return False


@pytest.mark.parametrize(
    "path",
    ["data/coinflow.db", "data/coinflow.db-wal", ".venv/bin/python", ".git/HEAD", ".env", "models/__pycache__/x.pyc"],
)
def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image(path: str) -> None:
    assert _docker_ignores(path)


def test_dockerignore_keeps_everything_the_dockerfile_copies() -> None:
    dockerfile = (REPO / "deployments" / "Dockerfile").read_text()
    copied = [
        source
        for line in re.findall(r"^COPY (?!--)(.+)$", dockerfile, flags=re.MULTILINE)
        for source in line.split()[:-1]
    ]
    needed = [
        *copied,
        "data/sample_prices.csv",
        "data/coin_overrides.csv",
        "data/sources/coingecko/coins_markets.json",
        "models/migrations/env.py",
    ]
    assert [path for path in needed if _docker_ignores(path)] == []
