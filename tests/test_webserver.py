"""`make dev`'s webserver serves the whole lineage: every asset, check and edge, over GraphQL."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ntm_pipeline.definitions import defs
from ntm_pipeline.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow  # starts dagster-webserver

QUERY = """
{ assetNodes { assetKey { path } groupName dependencyKeys { path }
    metadataEntries { label ... on TextMetadataEntry { text } }
    assetChecksOrError { ... on AssetChecks { checks { name } } } } }
"""


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = Path(sys.executable).parent / "dagster-webserver"
    process = subprocess.Popen(
        [str(binary), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("dagster-webserver did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def graphql(url, query):
    request = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    for _ in range(60):  # the code location may still be loading
        data = json.load(urllib.request.urlopen(request, timeout=30))["data"]
        if data["assetNodes"]:
            return data
        time.sleep(1)
    return data


def test_graphql_sees_the_full_lineage(webserver):
    nodes = graphql(webserver, QUERY)["assetNodes"]
    graph = defs.resolve_asset_graph()
    served = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    assert set(served) == {k.to_user_string() for k in graph.get_all_asset_keys()}
    edges = {("/".join(d["path"]), key) for key, n in served.items() for d in n["dependencyKeys"]}
    expected = {(p.to_user_string(), k.to_user_string()) for k in graph.get_all_asset_keys() for p in graph.get(k).parent_keys}
    assert edges == expected
    checks = {(key, c["name"]) for key, n in served.items() for c in n["assetChecksOrError"].get("checks", [])}
    assert checks == {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    # as many as the asset specs' snapshot declares (tests/test_asset_specs_snapshot.py)
    snapshot = json.loads((Path(__file__).parent / "snapshots" / "asset_specs.json").read_text(encoding="utf-8"))
    assert len(checks) == sum(len(spec["checks"]) for spec in snapshot.values())
    assert served["raw/submission"]["groupName"] == "raw" and served["mart/kpi_quarterly"]["groupName"] == "mart"
    assert served["core/dim_kpi"]["groupName"] == "reference"
    # The asset's page names its table: raw.submission, staging.submission, quarantine.submission.
    for key in ("raw/submission", "staging/submission", "quarantine/submission", "mart/kpi_quarterly"):
        entries = {e["label"]: e.get("text") for e in served[key]["metadataEntries"]}
        assert entries["dagster/table_name"] == key.replace("/", "."), key
    assert ("raw/submission", "staging/submission") in edges
    assert ("core/row_reconciliation", "mart/kpi_quarterly") in edges
