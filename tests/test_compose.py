"""docker-compose.yml, checked without a Docker engine: secrets, healthchecks, start order, ports,
variables and every command a service runs (parsed by the real coinflow and Prefect CLIs)."""

import re
import shlex
import subprocess
import tomllib
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from tests.cli_process import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {name for name, service in SERVICES.items() if service.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
ENV_EXAMPLE = (REPO / ".env.example").read_text()
# Options Prefect's root command takes before the subcommand.
PREFECT_GLOBAL_FLAGS = {"--no-prompt", "--prompt"}


def _strings(node: Any) -> list[str]:
    """Every string value of the parsed file (what compose interpolates; comments are not)."""
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return [node] if isinstance(node, str) else []


COMPOSE_TEXT = "\n".join(_strings(COMPOSE))


def _env_example_names() -> set[str]:
    return {line.split("=", 1)[0] for line in ENV_EXAMPLE.splitlines() if re.match(r"^[A-Z][A-Z0-9_]*=", line)}


def _argvs(service: dict[str, Any]) -> list[list[str]]:
    """The programs a service runs: its command, with `sh -c "a && b"` split into a and b."""
    command = service.get("command", [])
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in argv[2].split("&&")]
    return [argv]


def _depends(name: str) -> dict[str, str]:
    return {target: rule["condition"] for target, rule in (SERVICES[name].get("depends_on") or {}).items()}


def _reaches(name: str, target: str) -> bool:
    """Whether ``name`` starts only after ``target`` (directly or through its dependencies)."""
    return any(dep == target or _reaches(dep, target) for dep in _depends(name))


def test_every_variable_compose_reads_is_in_env_example_and_none_is_stale() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_TEXT))
    assert used, "compose reads no variable"
    assert sorted(used - _env_example_names()) == []
    assert sorted(_env_example_names() - used) == []


def test_passwords_come_only_from_env_and_are_required() -> None:
    references = re.findall(r"\$\{([A-Z0-9_]*PASSWORD)([^}]*)\}", COMPOSE_TEXT)
    assert {name for name, _ in references} == {
        "POSTGRES_PASSWORD",
        "COINFLOW_ETL_PASSWORD",
        "COINFLOW_API_PASSWORD",
        "PREFECT_DB_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    }
    for name, rest in references:
        assert rest.startswith(":?"), f"${{{name}}} must be required (:?), not defaulted: {rest!r}"
    for line in ENV_EXAMPLE.splitlines():
        if "PASSWORD=" in line:
            assert line.endswith("="), f".env.example must not suggest a password: {line}"
    init_sql = (REPO / "deployments/postgres/init.sql").read_text()
    assert re.findall(r"PASSWORD\s+'", init_sql, flags=re.IGNORECASE) == []


def test_postgres_init_script_sets_every_role_password_from_the_service_environment() -> None:
    init_sh = (REPO / "deployments/postgres/init.sh").read_text()
    init_sql = (REPO / "deployments/postgres/init.sql").read_text()
    psql_vars = set(re.findall(r":'([a-z_]+)'", init_sql))
    assert psql_vars == {"etl_password", "api_password", "prefect_password"}
    passed = dict(re.findall(r"-v ([a-z_]+)=\"\$([A-Z_]+)\"", init_sh))
    assert set(passed) == psql_vars
    assert set(passed.values()) <= set(SERVICES["postgres"]["environment"])
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in SERVICES["postgres"]["volumes"]}
    assert mounts["/docker-entrypoint-initdb.d/10-coinflow.sh"] == "./deployments/postgres/init.sh"
    assert mounts["/coinflow/init.sql"] == "./deployments/postgres/init.sql"
    assert (REPO / "deployments/postgres/init.sh").stat().st_mode & 0o111, "init.sh must be executable"


def test_env_file_is_ignored_by_git_and_the_example_is_not() -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, timeout=30).returncode == 0

    assert ignored(".env")
    assert not ignored(".env.example")


def test_every_long_running_service_has_a_healthcheck_on_its_own_port() -> None:
    for name in sorted(LONG_RUNNING):
        service = SERVICES[name]
        assert "healthcheck" in service, f"{name} has no healthcheck"
        test = " ".join(service["healthcheck"]["test"])
        url = re.search(r"http://localhost:(\d+)/\S*?(?=['\s]|$)", test)
        if url is None:
            assert "pg_isready" in test, name
            continue
        port = url.group(1)
        argv = " ".join(_argvs(service)[0]) + " " + " ".join(str(v) for v in service.get("environment", {}).values())
        published = [str(p).split(":")[-1] for p in service.get("ports", [])]
        assert port in argv or port in published, f"{name} checks port {port} it does not serve"


def test_the_worker_waits_for_a_healthy_server_and_migrations_but_never_for_deploy() -> None:
    assert _depends("worker") == {"prefect-server": "service_healthy", "migrate": "service_completed_successfully"}
    assert not _reaches("worker", "deploy")
    assert "--with-healthcheck" in _argvs(SERVICES["worker"])[0]
    assert SERVICES["worker"]["environment"]["PREFECT_WORKER_WEBSERVER_PORT"] == "8080"
    # The deploy job stays one-shot: its failure shows as an exit code, it is not retried forever.
    assert SERVICES["deploy"]["restart"] == "no"
    assert not any(_reaches(name, "deploy") for name in SERVICES)


def test_services_start_after_what_they_connect_to() -> None:
    for name, service in SERVICES.items():
        settings = " ".join(str(value) for value in service.get("environment", {}).values())
        for host, target in (("@postgres:", "postgres"), ("//prefect-server:", "prefect-server"), ("//api:", "api")):
            if host in settings:
                assert _reaches(name, target), f"{name} connects to {target} without waiting for it"
    for name in ("prometheus", "grafana"):
        assert set(_depends(name).values()) == {"service_healthy"}, name
    assert _depends("api") == {"migrate": "service_completed_successfully"}


def test_published_host_ports_are_distinct() -> None:
    host_ports = [str(port).split(":")[0] for service in SERVICES.values() for port in service.get("ports", [])]
    assert len(host_ports) == len(set(host_ports))
    assert set(host_ports) >= {"4200", "8000", "9090", "3000"}


def _coinflow_parses(argv: list[str]) -> None:
    """Parse ``argv`` with the real CLI, down to the last subcommand, without running anything."""
    from typer.main import get_command

    from deployments.cli import app

    command: Any = get_command(app)  # typer's own click: no click.Group to isinstance against
    args = argv[1:]
    parent = None
    while True:
        context = command.make_context(command.name or "coinflow", list(args), parent=parent)
        if not hasattr(command, "resolve_command"):
            return
        rest = [*context._protected_args, *context.args]
        name, sub, args = command.resolve_command(context, rest)
        assert sub is not None, f"`{' '.join(argv)}`: {name} is not a coinflow command"
        command, parent = sub, context


def _prefect_parses(argv: list[str]) -> None:
    from prefect.cli._app import _app

    tokens = [token for token in argv[1:] if token not in PREFECT_GLOBAL_FLAGS]
    _app.parse_args(tokens, exit_on_error=False, print_error=False)


@pytest.mark.parametrize(
    "argv",
    [argv for service in SERVICES.values() for argv in _argvs(service) if argv],
    ids=lambda argv: " ".join(argv[:3]),
)
def test_every_command_a_service_runs_parses_in_the_installed_clis(argv: list[str]) -> None:
    if argv[0] == "coinflow":
        _coinflow_parses(argv)
    elif argv[0] == "prefect":
        _prefect_parses(argv)
    else:
        assert argv[0].startswith("--"), f"unexpected program {argv[0]}"  # an image's own entrypoint's flags


def test_prefect_server_image_is_the_locked_prefect_version() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    (prefect,) = [package for package in lock["package"] if package["name"] == "prefect"]
    tag = SERVICES["prefect-server"]["image"].split(":")[1]
    assert tag.split("-")[0] == prefect["version"]


def test_prometheus_and_grafana_read_the_files_compose_mounts() -> None:
    def mounts(name: str) -> dict[str, str]:
        return {
            volume.split(":")[1]: volume.split(":")[0]
            for volume in SERVICES[name]["volumes"]
            if volume.startswith("./")
        }

    prometheus = mounts("prometheus")
    config_flag = next(arg for arg in SERVICES["prometheus"]["command"] if arg.startswith("--config.file="))
    config_path = config_flag.split("=", 1)[1]
    folder, file = config_path.rsplit("/", 1)
    assert (REPO / prometheus[folder] / file).is_file()
    config = yaml.safe_load((REPO / prometheus[folder] / file).read_text())
    for rules in config["rule_files"]:
        assert (REPO / prometheus[folder] / rules).is_file()
    (job,) = config["scrape_configs"]
    (discovery,) = job["dns_sd_configs"]
    assert discovery["names"] == ["api"]
    assert str(discovery["port"]) in " ".join(SERVICES["api"]["command"])

    grafana = mounts("grafana")
    provider = yaml.safe_load((REPO / grafana["/etc/grafana/provisioning"] / "dashboards/coinflow.yml").read_text())[
        "providers"
    ][0]
    dashboards = REPO / grafana[provider["options"]["path"]]
    assert sorted(p.name for p in dashboards.glob("*.json")) == ["coinflow-etl.json"]
    datasource = yaml.safe_load(
        (REPO / grafana["/etc/grafana/provisioning"] / "datasources/prometheus.yml").read_text()
    )["datasources"][0]
    assert urlparse(datasource["url"]).hostname == "prometheus"
    assert str(urlparse(datasource["url"]).port) in " ".join(SERVICES["prometheus"]["ports"])
