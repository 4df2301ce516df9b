"""The `ntm` command: `ntm run` builds the warehouse, `ntm validate` checks submission files
before they are sent, `ntm report` writes a quarterly report, `ntm sample` rewrites the
sample, `ntm docs` refreshes docs/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ntm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialise every asset for every quarter found in raw/")
    run.add_argument("--period", action="append", help="only these quarters, e.g. 2024-Q1 (repeatable)")
    commands.add_parser("sample", help="regenerate the Kim Bôi sample and the blank template in raw/")
    synthetic = commands.add_parser(
        "synthetic", help="write synthetic submissions for any provinces and quarters (the benchmark's country)"
    )
    synthetic.add_argument("out", type=Path, help="a raw/ folder to write submissions/ and targets/ into")
    synthetic.add_argument("--provinces", help="GSO province codes, e.g. 17,48 (default: all 63)")
    synthetic.add_argument("--first", default="2023-Q1", help="first quarter (default 2023-Q1)")
    synthetic.add_argument("--quarters", type=int, default=8, help="number of quarters (default 8)")
    synthetic.add_argument("--form", choices=["xlsx", "csv"], default="csv",
                           help="a workbook per commune and quarter, or bulk CSV per province (default)")
    synthetic.add_argument("--bad-rows", type=float, default=0.0, help="share of detail rows to break, e.g. 0.01")
    commands.add_parser("docs", help="refresh the generated reference sections of docs/")
    commands.add_parser("dictionary", help="write docs/data-dictionary.md from the warehouse's comments")
    report = commands.add_parser("report", help="write the quarterly report of a district or province")
    report.add_argument("--period", required=True, help="quarter, e.g. 2024-Q1")
    area = report.add_mutually_exclusive_group(required=True)
    area.add_argument("--district", help="GSO district code, e.g. 153")
    area.add_argument("--province", help="GSO province code, e.g. 17")
    report.add_argument("--out", type=Path, help="folder for the files (default reports/<period>/)")
    check = commands.add_parser(
        "validate", help="check submission files before sending them; problems in Vietnamese (--lang en for English)"
    )
    check.add_argument("files", nargs="+", type=Path, help=".xlsx or .csv submission files")
    check.add_argument("--lang", choices=["vi", "en"], default="vi")
    check.add_argument("--period", help="the quarter, e.g. 2024-Q1, when the file does not say")
    args = parser.parse_args(argv)
    if args.command == "validate":
        from ntm_pipeline.presubmit import validate_files

        missing = [p for p in args.files if not p.is_file()]
        if missing:
            parser.error(f"no such file: {missing[0]}")
        return validate_files(args.files, lang=args.lang, period=args.period)
    if args.command == "report":
        import duckdb

        from ntm_pipeline.report.build import build_report, write_report
        from ntm_pipeline.settings import reports_dir, warehouse_path

        level, code = ("district", args.district) if args.district else ("province", args.province)
        with duckdb.connect(str(warehouse_path()), read_only=True) as conn:
            try:
                built = build_report(conn, args.period, level, code)
            except ValueError as exc:
                parser.error(str(exc))
        for path in write_report(built, args.out or reports_dir() / args.period):
            print(path)
        return 0
    if args.command == "dictionary":
        from ntm_pipeline.docs import write_dictionary
        from ntm_pipeline.settings import warehouse_path

        print(f"wrote {write_dictionary(warehouse_path())}")
        return 0
    if args.command == "docs":
        from ntm_pipeline.docs import write_docs

        for path in write_docs():
            print(f"updated {path}")
        return 0
    if args.command == "synthetic":
        from ntm_pipeline.partitions import QUARTERS
        from ntm_pipeline.samples.country import CountrySample, country_units, quarter_range

        if args.first not in QUARTERS:
            parser.error(f"--first must be a quarter from {QUARTERS[0]} to {QUARTERS[-1]}, e.g. 2023-Q1")
        units = country_units(args.provinces.split(",") if args.provinces else None)
        if not units:
            parser.error(f"no units in provinces {args.provinces}")
        sample = CountrySample(units, quarter_range(args.first, args.quarters), args.bad_rows)
        bad = sample.write(args.out, args.form)
        print(f"wrote {len(units)} units x {len(sample.periods)} quarters under {args.out}; "
              f"bad rows: {dict(bad) or 'none'}")
        return 0
    if args.command == "sample":
        from ntm_pipeline.samples.kim_boi import write_sample
        from ntm_pipeline.settings import raw_dir

        paths = write_sample(raw_dir())
        print(f"wrote {len(paths)} files under {raw_dir()}")
        return 0
    from ntm_pipeline.run import run_all

    return run_all(args.period)


if __name__ == "__main__":
    sys.exit(main())
