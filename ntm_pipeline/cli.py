"""The `ntm` command: `ntm run` builds the warehouse (one run at a time), `ntm doctor` repairs
what a killed run left, `ntm validate` checks submission files
before they are sent, `ntm report` writes a quarterly report, `ntm sample` rewrites the
sample, `ntm docs` refreshes docs/, `ntm serve` starts the web intake and `ntm users` manages
its accounts.

A quarter may be written as the files write it (2024-Q1, Q1/2024, Quý 1/2024, Quý I/2024,
2024Q1). No traceback reaches the user: an error is one line on stderr and exit status 2;
the traceback goes to a log file, or to stderr with --debug."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

QUARTER_SPELLINGS = "2024-Q1, Q1/2024, Quý 1/2024, Quý I/2024 or 2024Q1"
NOT_A_QUARTER = {
    "en": "{option}: '{text}' is not a quarter; write it as " + QUARTER_SPELLINGS,
    "vi": "{option}: '{text}' không phải là một quý; hãy viết 2024-Q1, Q1/2024, Quý 1/2024, Quý I/2024 hoặc 2024Q1",
}
OUT_OF_RANGE = {
    "en": "{option}: {period} is not one of the partitions, {first} to {last} (a quarter not yet begun has none)",
    "vi": "{option}: quý {period} không thuộc các quý của kho dữ liệu, từ {first} đến {last} "
    "(quý chưa bắt đầu thì chưa có)",
}


def build_parser() -> argparse.ArgumentParser:
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", help="print the full traceback of an error")
    parser = argparse.ArgumentParser(prog="ntm", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[debug], **kwargs)
        sub.set_defaults(parser=sub)  # errors name the subcommand
        return sub

    run = command("run", help="materialise every asset for every quarter found in raw/")
    run.add_argument("--period", action="append", help="only these quarters, e.g. 2024-Q1 (repeatable)")
    run.add_argument("--wait", action="store_true", help="when another run is writing the warehouse, wait for "
                     "it to end (without it: exit status 75 at once)")
    doctor = command("doctor", help="report what a killed run left (runs still STARTED, held pool slots, leftover "
                     "files); --repair repairs it, as every `ntm run` does first")
    doctor.add_argument("--repair", action="store_true", help="mark dead runs failed, free their pool slots, "
                        "delete leftover files")
    command("sample", help="regenerate the Kim Bôi sample and the blank template in raw/")
    synthetic = command(
        "synthetic", help="write synthetic submissions for any provinces and quarters (the benchmark's country)"
    )
    synthetic.add_argument("out", type=Path, help="a raw/ folder to write submissions/ and targets/ into")
    synthetic.add_argument("--provinces", help="GSO province codes before the 2025 reform, e.g. 17,48 (default: all "
                           "63); quarters from 2025-Q3 are written for the units those became")
    synthetic.add_argument("--first", default="2023-Q1", help="first quarter (default 2023-Q1)")
    synthetic.add_argument("--quarters", type=int, default=8, help="number of quarters (default 8)")
    synthetic.add_argument("--form", choices=["xlsx", "csv"], default="csv",
                           help="a workbook per commune and quarter, or bulk CSV per province (default)")
    synthetic.add_argument("--bad-rows", type=float, default=0.0, help="share of detail rows to break, e.g. 0.01")
    command("docs", help="refresh the generated reference sections of docs/")
    command("dictionary", help="write docs/data-dictionary.md from the warehouse's comments")
    report = command("report", help="write the quarterly report of a province, a commune or (up to 2025-Q2) a district")
    report.add_argument("--period", required=True, help="quarter, e.g. 2024-Q1")
    area = report.add_mutually_exclusive_group(required=True)
    area.add_argument("--province", help="GSO province code of the quarter, e.g. 17 (Hòa Bình, to 2025-Q2) or 25 (Phú Thọ)")
    area.add_argument("--commune", help="GSO commune code of the quarter, e.g. 04978 (from 2025-Q3 Xã Kim Bôi)")
    area.add_argument("--district", help="GSO district code, e.g. 153 (districts exist up to 2025-Q2)")
    report.add_argument("--with-communes", action="store_true",
                        help="with --province: also the report of each of its communes that reported")
    report.add_argument("--out", type=Path, help="folder for the files (default reports/<period>/)")
    check = command(
        "validate", help="check submission and targets files before sending them; problems in Vietnamese "
        "(--lang en for English)"
    )
    check.add_argument("files", nargs="+", type=Path, help=".xlsx or .csv submission or targets files")
    check.add_argument("--lang", choices=["vi", "en"], default="vi")
    check.add_argument("--period", help="check the files as this quarter's (2024-Q1, Quý I/2024, ...), "
                       "e.g. when their Kỳ báo cáo cannot be read")
    serve = command("serve", help="the web intake: officers sign in, check and file workbooks; the tracker "
                    "(docs/intake.md)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    users = command("users", help="the web intake's accounts (NTM_INTAKE_DB): add, list, disable")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    add = user_commands.add_parser("add", help="add an account; the password is asked for (or read from "
                                   "standard input with --password-stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["commune", "district", "province", "admin"])
    add.add_argument("--area", help="GSO code of the account's commune (5 digits), district (3) or province (2)")
    add.add_argument("--name", help="the name shown on the pages, e.g. 'UBND xã Kim Bôi'")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user_commands.add_parser("list", help="list the accounts")
    disable = user_commands.add_parser("disable", help="disable an account (it can no longer sign in)")
    disable.add_argument("username")
    enable = user_commands.add_parser("enable", help="enable a disabled account again")
    enable.add_argument("username")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except KeyboardInterrupt:
        print(f"ntm {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the CLI boundary: one line for the user, the traceback kept
        lines = str(exc).strip().splitlines()
        message = lines[0] if lines else type(exc).__name__
        if args.debug:
            traceback.print_exc()
            where = "the traceback is above"
        else:
            where = f"the traceback is in {_keep_traceback(args.command)}; --debug prints it"
        print(f"ntm {args.command}: error: {message}\n  ({where})", file=sys.stderr)
        return 2


def _users(sub: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`ntm users add|list|disable|enable`: the intake's accounts. A password is read from a
    prompt (twice) or from standard input, never from the command line."""
    import getpass

    from ntm_pipeline.web.accounts import AccountError, AccountStore

    store = AccountStore()
    try:
        if args.users_command == "add":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                password = getpass.getpass(f"Password for {args.username}: ")
                if getpass.getpass("Again: ") != password:
                    sub.error("the two passwords differ")
            user = store.add_user(args.username, password, args.role, args.area, args.name)
            print(f"added {user.username} ({user.role}{' ' + user.area_code if user.area_code else ''})")
        elif args.users_command == "list":
            for user in store.list_users():
                state = "disabled" if user.disabled else "active"
                print(f"{user.username}\t{user.role}\t{user.area_code or '-'}\t{state}\t{user.display_name}")
        else:
            user = store.set_disabled(args.username, args.users_command == "disable")
            print(f"{user.username}: {'disabled' if user.disabled else 'enabled'}")
    except AccountError as exc:
        sub.error(str(exc))
    finally:
        store.close()
    return 0


def _keep_traceback(command: str) -> Path:
    log = Path(tempfile.gettempdir()) / f"ntm-{command}-{datetime.now():%Y%m%d-%H%M%S}.log"
    log.write_text(traceback.format_exc(), encoding="utf-8")
    return log


def quarter_option(parser: argparse.ArgumentParser, option: str, text: str, lang: str = "en") -> str:
    """The quarter `text` names, in any spelling a file may use; exits with a one-line
    message (status 2) when it names none or one outside the partitions."""
    from ntm_pipeline.quarters import period_from_text, quarters_begun

    period = period_from_text(text)
    if period is None:
        parser.error(NOT_A_QUARTER[lang].format(option=option, text=text))
    keys = quarters_begun()  # the partitions' keys, without loading Dagster
    if period not in keys:
        parser.error(OUT_OF_RANGE[lang].format(option=option, period=period, first=keys[0], last=keys[-1]))
    return period


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    sub = args.parser
    if args.command == "users":
        return _users(sub, args)
    if args.command == "serve":
        import uvicorn

        from ntm_pipeline.web.accounts import AccountStore, intake_db_url

        if AccountStore().count_users() == 0:
            print("ntm serve: no account yet; create the first administrator with\n"
                  "  ntm users add --role admin admin", file=sys.stderr)
        print(f"ntm serve: accounts in {intake_db_url()}; http://{args.host}:{args.port}/", file=sys.stderr)
        os.environ.setdefault("NTM_INTAKE_WARM_UP", "1")  # load the checks at start, not on the first upload
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # The intake's own lines at INFO; Great Expectations' start-up chatter only when it warns.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        uvicorn.run("ntm_pipeline.web.app:create_app", factory=True, host=args.host, port=args.port,
                    proxy_headers=True, forwarded_allow_ips="127.0.0.1")
        return 0
    if args.command == "validate":
        from ntm_pipeline.presubmit import validate_files

        period = quarter_option(sub, "--period", args.period, args.lang) if args.period else None
        missing = [p for p in args.files if not p.is_file()]
        if missing:
            sub.error(("không có tệp: " if args.lang == "vi" else "no such file: ") + str(missing[0]))
        return validate_files(args.files, lang=args.lang, period=period)
    if args.command == "report":
        import duckdb

        from ntm_pipeline.report.build import build_report, reporting_communes, write_report
        from ntm_pipeline.settings import reports_dir, warehouse_path

        period = quarter_option(sub, "--period", args.period)
        level, code = next((lvl, c) for lvl, c in (("district", args.district), ("province", args.province),
                                                  ("commune", args.commune)) if c)
        if args.with_communes and level != "province":
            sub.error("--with-communes goes with --province")
        if not warehouse_path().is_file():
            sub.error(f"no warehouse at {warehouse_path()}: run `ntm run` first")
        with duckdb.connect(str(warehouse_path()), read_only=True) as conn:
            try:
                built = [build_report(conn, period, level, code)]
                built += [build_report(conn, period, "commune", c)
                          for c in (reporting_communes(conn, period, code) if args.with_communes else [])]
            except ValueError as exc:
                sub.error(str(exc))
        for report in built:
            for path in write_report(report, args.out or reports_dir() / period):
                print(path)
        return 0
    if args.command == "dictionary":
        from ntm_pipeline.docs import write_dictionary
        from ntm_pipeline.settings import warehouse_path

        if not warehouse_path().is_file():
            sub.error(f"no warehouse at {warehouse_path()}: run `ntm run` first")
        print(f"wrote {write_dictionary(warehouse_path())}")
        return 0
    if args.command == "docs":
        from ntm_pipeline.docs import write_docs

        for path in write_docs():
            print(f"updated {path}")
        return 0
    if args.command == "synthetic":
        from ntm_pipeline.samples.country import CountrySample, country_units, quarter_range

        first = quarter_option(sub, "--first", args.first)
        if args.quarters < 1:
            sub.error("--quarters must be 1 or more")
        units = country_units(args.provinces.split(",") if args.provinces else None)
        if not units:
            sub.error(f"no units in provinces {args.provinces}")
        sample = CountrySample(units, quarter_range(first, args.quarters), args.bad_rows)
        bad = sample.write(args.out, args.form)
        print(f"wrote {sample.describe()} under {args.out}; "
              f"bad rows: {dict(bad) or 'none'}")
        return 0
    if args.command == "sample":
        from ntm_pipeline.samples.kim_boi import write_sample
        from ntm_pipeline.settings import raw_dir

        paths = write_sample(raw_dir())
        print(f"wrote {len(paths)} files under {raw_dir()}")
        return 0
    if args.command == "doctor":
        from ntm_pipeline.run import doctor

        return doctor(repair=args.repair)
    from ntm_pipeline.run import run_all

    periods = [quarter_option(sub, "--period", p) for p in args.period] if args.period else None
    return run_all(periods, wait=args.wait)


if __name__ == "__main__":
    sys.exit(main())
