"""A snapshot of every asset's spec, so that an accidental change shows in review.

After an intended change: NTM_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_asset_specs_snapshot.py
and commit tests/snapshots/asset_specs.json with it.
"""

import json
import os
from pathlib import Path

from ntm_pipeline.definitions import defs
from ntm_pipeline.settings import PROJECT_ROOT

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_specs.json"


def specs() -> dict:
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for check in graph.asset_check_keys:
        spec = graph.get_check_spec(check)
        checks.setdefault(check.asset_key.to_user_string(), []).append(
            f"{check.name}{' (blocking)' if spec.blocking else ''}"
        )
    out = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        references = node.metadata.get("dagster/code_references")
        out[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "pools": sorted(node.pools or []),
            "partitions": type(node.partitions_def).__name__ if node.partitions_def else None,
            "backfill_policy": str(node.backfill_policy.policy_type) if node.backfill_policy else None,
            "automation": node.automation_condition.get_label() or type(node.automation_condition).__name__
            if node.automation_condition else None,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "checks": sorted(checks.get(key.to_user_string(), [])),
            "description": (node.description or "").strip().splitlines()[0],
            "code": sorted(
                Path(r.file_path).relative_to(PROJECT_ROOT).as_posix() for r in references.code_references
            ) if references else [],
        }
    return out


def test_asset_specs_match_the_snapshot():
    current = specs()
    if os.environ.get("NTM_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8")), (
        "asset specs changed; if intended, run with NTM_UPDATE_SNAPSHOTS=1 and commit the snapshot"
    )
