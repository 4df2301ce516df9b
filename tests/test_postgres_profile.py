"""The shared-server profile: a quarter runs with deploy/dagster.yaml against a real
PostgreSQL server, which this test starts from Debian's package (installed by .ci/run)."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from conftest import copy_sample
from ntm_pipeline.resources import warehouse_resources
from ntm_pipeline.run import materialize_periods
from ntm_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # starts a PostgreSQL server and runs a quarter on it


def postgres_binary(name: str) -> str | None:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    return found


@pytest.fixture(scope="module")
def postgres():
    initdb, pg_ctl = postgres_binary("initdb"), postgres_binary("pg_ctl")
    if not (initdb and pg_ctl):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="ntm-pg-"))
    data.chmod(0o755)
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cluster = data / "cluster"
    subprocess.run([*as_user, initdb, "-D", str(cluster), "-U", "dagster", "-A", "trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(cluster), "-l", str(data / "server.log"), "-w", "start",
         "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"],
        check=True, capture_output=True,
    )
    try:
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_USER": "dagster",
               "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "postgres"}
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(cluster), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_a_quarter_runs_on_the_postgres_instance(postgres, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in postgres.items():
        monkeypatch.setenv(name, value)
    raw = copy_sample(tmp_path / "raw", ["2024-Q1"])
    database = tmp_path / "ntm.duckdb"
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        result = materialize_periods(
            ["2024-Q1"], instance,
            resources=warehouse_resources(database, raw),
        )
        assert result.success
        stored = instance.get_run_by_id(result.run_id)
        assert stored.status == dg.DagsterRunStatus.SUCCESS
        materialized = instance.get_latest_materialization_event(dg.AssetKey(["mart", "kpi_quarterly"]))
        assert materialized.run_id == result.run_id
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute(
            "SELECT value FROM mart.kpi_quarterly WHERE period = '2024-Q1' AND area_level = 'district' "
            "AND kpi_code = 'ntm_communes'"
        ).fetchone() == (6.0,)
