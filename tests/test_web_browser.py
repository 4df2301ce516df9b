"""End to end in a real browser: Debian's headless Chromium driven by Playwright against a
real `ntm serve` on a loopback port, with its own raw/, warehouse, Dagster instance and
accounts. A commune officer signs in, uploads a workbook with errors and sees them in
Vietnamese, uploads a good one; the province's tracker shows it waiting; `ntm run` runs the
quarter; the tracker shows it published.

Screenshots go to tmp_path, or to NTM_SCREENSHOTS_DIR when set (docs/images/ is made so:
NTM_SCREENSHOTS_DIR=docs/images pytest tests/test_web_browser.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLE_RAW, build_warehouse, copy_sample
from web_server import BIN, serving

from ntm_pipeline.samples.kim_boi import PERIODS, KimBoiSample
from ntm_pipeline.settings import PROJECT_ROOT
from ntm_pipeline.submissions.writer import build_workbook, save_reproducibly

pytestmark = pytest.mark.slow  # a server, a browser and two pipeline builds

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
PERIOD = "2026-Q3"  # after the reform: the five communes of the sample, in the new Phú Thọ (25)
COMMUNE = "05086"  # Xã Dũng Tiến: not in the first build, filed through the browser
OTHERS = ["04978", "04990", "05014", "05068"]
PASSWORD = "mật-khẩu-thử-nghiệm"

if not CHROMIUM.is_file() and os.environ.get("NTM_REQUIRE_BROWSER") != "1":  # .ci/run installs it and sets this
    pytest.skip("no /usr/bin/chromium (apt-get install chromium chromium-driver)", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A raw/ with four of the quarter's five files, a warehouse built from them, two accounts
    made with `ntm users add`, and `ntm serve` on a free loopback port."""
    base = tmp_path_factory.mktemp("browser")
    raw = copy_sample(base / "raw", [PERIOD], communes=OTHERS)
    (base / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", base / "dagster_home" / "dagster.yaml")
    env = {**os.environ, "NTM_RAW_DIR": str(raw), "NTM_WAREHOUSE": str(base / "warehouse" / "ntm.duckdb"),
           "DAGSTER_HOME": str(base / "dagster_home"), "NTM_INTAKE_DB": str(base / "intake.sqlite"),
           "NTM_REPORTS_DIR": str(base / "reports"), "NTM_INTAKE_LATE_DAYS": "100000"}  # the quarter stays open
    (base / "warehouse").mkdir()
    assert build_warehouse(raw, base / "warehouse" / "ntm.duckdb", [PERIOD]).success
    for username, role, area in (("dungtien", "commune", COMMUNE), ("phutho", "province", "25")):
        subprocess.run([str(BIN / "ntm"), "users", "add", username, "--role", role, "--area", area,
                        "--password-stdin"], input=PASSWORD, text=True, env=env, check=True, capture_output=True)
    with serving(env) as url:
        yield {"url": url, "env": env, "raw": raw, "base": base}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NTM_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def bad_workbook(path: Path) -> Path:
    """Dũng Tiến's workbook of the quarter with a capital typed in words and a category not in
    the list."""
    sample = KimBoiSample()
    index = PERIODS.index(PERIOD)
    unit = next(u for u in sample.units_at(index) if u.code == COMMUNE)
    tables, _ = sample.submission(unit, index)
    investment = tables["investment"] = [row for row in tables["investment"] if row]
    investment[0]["capital_total"] = "hai trăm"
    investment[1]["category"] = "cầu treo"
    save_reproducibly(build_workbook(tables), path)
    return path


def commune_status(page) -> str:
    return page.get_attribute(f"#commune-{COMMUNE}", "data-status")


def test_sign_in_upload_run_and_see_it_published(site, browser, tmp_path):
    url, folder = site["url"], shots(tmp_path)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{url}/tracker")
    page.wait_for_url(f"{url}/login?next=/tracker")  # signed out: the sign-in page
    page.screenshot(path=str(folder / "intake-login.png"))
    sign_in(page, url, "dungtien")

    # A workbook with errors: every problem in Vietnamese, grouped by sheet; nothing filed.
    page.goto(f"{url}/upload")
    page.select_option("#period", PERIOD)
    page.set_input_files("#file", str(bad_workbook(tmp_path / "bao-cao-quy-3.xlsx")))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector(".errors")
    errors = page.inner_text(".errors")
    assert "Trang 'Dự án đầu tư'" in errors
    assert "Giá trị không đọc được: cần một số" in errors and "hai trăm" in errors
    assert "Loại công trình không thuộc danh mục" in errors and "cầu treo" in errors
    assert "Tệp chưa được nhận" in page.inner_text("main")
    page.screenshot(path=str(folder / "intake-errors.png"), full_page=True)
    submissions = site["raw"] / "submissions" / PERIOD
    assert sorted(p.name[:5] for p in submissions.iterdir()) == OTHERS  # the bad file was not filed

    # The commune's real workbook: filed under a generated name.
    good = tmp_path / "bao-cao-dung-tien.xlsx"
    shutil.copy(SAMPLE_RAW / "submissions" / PERIOD / "05086-dung-tien.xlsx", good)
    page.goto(f"{url}/upload")
    page.select_option("#period", PERIOD)
    page.set_input_files("#file", str(good))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("h1.ok")
    assert "Đã nhận báo cáo" in page.inner_text("h1.ok")
    page.screenshot(path=str(folder / "intake-filed.png"), full_page=True)
    filed = [p for p in submissions.iterdir() if p.name.startswith(COMMUNE)]
    assert len(filed) == 1 and filed[0].read_bytes() == good.read_bytes()
    context.close()

    # The province's tracker: filed, waiting for its run.
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, url, "phutho")
    page.goto(f"{url}/tracker/{PERIOD}")
    assert commune_status(page) == "waiting"
    assert "Đã nhận, chờ xử lý" in page.inner_text(f"#commune-{COMMUNE}")
    assert all(page.get_attribute(f"#commune-{c}", "data-status") == "published" for c in OTHERS)
    page.goto(f"{url}/tracker/{PERIOD}?status=received")  # the communes that sent a file
    assert sorted(r.get_attribute("data-status") for r in page.query_selector_all("#communes tbody tr")) == \
        ["published"] * 4 + ["waiting"]
    page.screenshot(path=str(folder / "intake-tracker-waiting.png"), full_page=True)

    # The quarter's run, as the sensor or an operator starts it.
    run = subprocess.run([str(BIN / "ntm"), "run", "--period", PERIOD], env=site["env"], capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    page.goto(f"{url}/tracker/{PERIOD}")
    assert commune_status(page) == "published"
    assert "Đã tổng hợp" in page.inner_text(f"#commune-{COMMUNE} .status")
    assert page.inner_text('#counts td[data-status="published"]') == "5"
    assert page.inner_text('#counts td[data-status="not_received"]') == "143"
    page.goto(f"{url}/tracker/{PERIOD}?status=received")
    page.screenshot(path=str(folder / "intake-tracker.png"), full_page=True)
    page.goto(f"{url}/lang/en")
    page.goto(f"{url}/tracker/{PERIOD}")
    assert "Published" in page.inner_text(f"#commune-{COMMUNE} .status")
    context.close()
