"""The Dagster instance's share of a run: `ntm run` on one scale with Dagster's own SQLite
instance and with the project's (dagster_home/dagster.yaml: the event log's connections kept
open, ntm_pipeline/event_log.py), alternated so both see the same machine.

    .venv/bin/python bench/instance.py [--scale kim_boi] [--rounds 2]

Each run starts from an empty warehouse and instance under bench/.data/<scale>/instance/. The
figures are each run's time to the data's publication and to its end (the reports), and the
events the data run stored.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from run import DATA, ROOT, SCALES, prepare_raw, run_pipeline

PROJECT_YAML = ROOT / "dagster_home" / "dagster.yaml"


def dagster_own_yaml() -> str:
    """The project's dagster.yaml without its instance_class: Dagster's default instance."""
    return re.sub(r"(?ms)^instance_class:\n(?:  .*\n)+", "", PROJECT_YAML.read_text(encoding="utf-8"))


def events_stored(home: Path) -> int:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_records(filters=dg.RunsFilter(job_name="quarter_job"), limit=1)[0].dagster_run
        return len(instance.all_logs(run.run_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="kim_boi", choices=sorted(SCALES))
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    raw, _ = prepare_raw(SCALES[args.scale])
    yamls = {"dagster's instance": dagster_own_yaml(), "the project's": PROJECT_YAML.read_text(encoding="utf-8")}
    assert yamls["dagster's instance"] != yamls["the project's"], "dagster.yaml names no instance_class"
    print(f"{args.scale}: `ntm run`, Dagster's SQLite instance and the project's, alternated", flush=True)
    for round_ in range(1, args.rounds + 1):
        for label, yaml in yamls.items():
            work = DATA / args.scale / "instance"
            shutil.rmtree(work, ignore_errors=True)
            home = work / "dagster_home"
            home.mkdir(parents=True)
            (home / "dagster.yaml").write_text(yaml, encoding="utf-8")
            timing = run_pipeline(raw, work / "ntm.duckdb", home)
            print(f"  round {round_}, {label:18} data published at {timing.published_s:6.1f} s, run ended at "
                  f"{timing.wall_s:6.1f} s; {events_stored(home):,} events in the data run", flush=True)


if __name__ == "__main__":
    main()
