"""`doublex recon import | run | report` end to end against a real database, and the HTML
report rendered by headless Chromium (Debian's `chromium`), its screenshot kept under
.test-artifacts/ (DOUBLEX_TEST_ARTIFACTS to change it)."""

from __future__ import annotations

import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from doublex.cli import main
from support.dates import day, iso, shifted
from support.recon import BANK, open_books, post_bank

ROOT = Path(__file__).resolve().parent.parent
DOUBLEX = Path(sys.executable).parent / "doublex"
DAY = day("2026-11-20")
STATEMENT = """\
Booking Date,Reference,Amount,Currency,Text,Bank Id
20.11.2026,INV-1,100.00,EUR,Invoice 1 paid,B-1
20.11.2026,INV-2,-40.05,EUR,Supplier (short by 0.05),B-2

20.11.2026,INV-3X,7.01,EUR,"Typo in the ref,
continued on a second line",B-3
20.11.2026,BANK-FEE,-2.50,,Monthly fee,B-4
""".replace("20.11.2026", f"{DAY:%d.%m.%Y}")  # DD.MM.YYYY: the statement of DAY
MAPPING = "date=Booking Date,ref=Reference,amount=Amount,ccy=Currency,description=Text,id=Bank Id"


@pytest.fixture
def books(admin_dsn: str, app_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI pointed at the test database, the bank account and its postings of DAY."""
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    open_books(app_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        post_bank(conn, "p-1", Decimal("100.00"), "INV-1", DAY)
        post_bank(conn, "p-2", Decimal("-40.00"), "INV-2", DAY)
        post_bank(conn, "p-3", Decimal("7.00"), "INV-3", DAY)
        post_bank(conn, "p-4", Decimal("55.00"), "INV-4", DAY)
    yield app_dsn


def doublex(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_run_and_report(books: str, tmp_path: Path) -> None:
    statement = write(tmp_path, "statement.csv", STATEMENT)
    args = ["recon", "import", str(statement), "--account", BANK, "--map", MAPPING]
    imported = doublex(*args, "--date-format", "DD.MM.YYYY", "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) | {"import_id": 0} == {
        "import_id": 0,
        "status": "imported",
        "account": BANK,
        "lines": 4,
        "added": 4,
        "skipped": 0,
    }
    again = doublex(*args, "--date-format", "DD.MM.YYYY")
    assert again.exit_code == 0, again.output
    assert "duplicate" in again.stdout and "nothing added" in again.stdout
    run = doublex("recon", "run", "--date", DAY.isoformat(), "--account", BANK)
    assert run.exit_code == 0, run.output
    for expected in (
        "matched              2",
        "exceptions           3",
        "amount_mismatch",
        "missing_in_ledger",
        "missing_in_bank",
        "-0.05",
    ):
        assert expected in run.stdout, run.stdout
    as_json = doublex("recon", "run", "--date", DAY.isoformat(), "--account", BANK, "--json")
    document = json.loads(as_json.stdout)
    assert document == {
        "date": iso("2026-11-20"),
        "account": BANK,
        "ledger_total": "122.00",
        "bank_total": "64.46",
        "matched": 2,
        "unmatched": 3,
        "exceptions": [
            {
                "kind": "amount_mismatch",
                "ref": "INV-2",
                "delta": "-0.05",
                "amount": "-40.05",
                "line": 3,
            },
            {
                "kind": "missing_in_ledger",
                "ref": "BANK-FEE",
                "delta": "-2.50",
                "amount": "-2.50",
                "line": 7,
            },
            {
                "kind": "missing_in_bank",
                "ref": "INV-4",
                "delta": "-55.00",
                "amount": "55.00",
                "line": None,
            },
        ],
        "next_cursor": None,
    }
    # The exceptions a page at a time, the cursor of the next page on stderr.
    first = doublex("recon", "exceptions", "--date", DAY.isoformat(), "--limit", "2")
    assert first.exit_code == 0, first.output
    assert "amount_mismatch" in first.stdout and "missing_in_bank" not in first.stdout
    cursor = first.stderr.split("--cursor ")[1].strip()
    rest = doublex(
        "recon", "exceptions", "--date", DAY.isoformat(), "--limit", "2", "--cursor", cursor
    )
    assert "missing_in_bank" in rest.stdout and "amount_mismatch" not in rest.stdout
    assert "next page" not in rest.stderr
    pages = doublex("recon", "exceptions", "--date", DAY.isoformat(), "--json")
    assert [item["kind"] for item in json.loads(pages.stdout)] == [
        "amount_mismatch", "missing_in_ledger", "missing_in_bank",
    ]  # fmt: skip
    bad = doublex("recon", "exceptions", "--date", DAY.isoformat(), "--cursor", "x")
    assert bad.exit_code == 1 and "DX019" in bad.stderr

    out = tmp_path / "out"
    report = doublex("recon", "report", "--date", DAY.isoformat(), "--out", str(out))
    assert report.exit_code == 0, report.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        shifted("recon-2026-11-20-exceptions.csv"),
        shifted("recon-2026-11-20-matches.csv"),
        shifted("recon-2026-11-20-summary.csv"),
        shifted("recon-2026-11-20.html"),
        shifted("recon-2026-11-20.json"),
    ]
    summary_csv = (out / shifted("recon-2026-11-20-summary.csv")).read_text().splitlines()
    assert summary_csv[0].startswith("account,ccy,business_date,tolerance,statement_lines")
    assert summary_csv[1].startswith(
        shifted(f"{BANK},EUR,2026-11-20,0.01,4,4,2,3,1,1,1,64.46,122.00,")
    )
    matches_csv = (out / shifted("recon-2026-11-20-matches.csv")).read_text()
    assert "INV-3X" in matches_csv and "continued on a second line" in matches_csv
    full = json.loads((out / shifted("recon-2026-11-20.json")).read_text())
    (account,) = full["accounts"]
    assert account["summary"]["difference"] == "-57.54"
    assert [e["kind"] for e in account["exceptions"]] == [
        "amount_mismatch",
        "missing_in_ledger",
        "missing_in_bank",
    ]
    assert [m["match_pass"] for m in account["matches"]] == [1, 2]

    only = doublex(
        "recon",
        "report",
        "--date",
        DAY.isoformat(),
        "--account",
        BANK,
        "--out",
        str(out),
        "--format",
        "json",
        "--json",
    )
    assert only.exit_code == 0, only.output
    assert json.loads(only.stdout)["files"] == [str(out / shifted(f"recon-2026-11-20-{BANK}.json"))]

    render_in_chromium(out / shifted("recon-2026-11-20.html"))


def test_a_bad_statement_is_refused_with_every_line(
    books: str, admin_dsn: str, tmp_path: Path
) -> None:
    bad = write(
        tmp_path,
        "bad.csv",
        shifted(
            "date,ref,amount,ccy\n2026-11-20,A,1.00,EUR\n2026-11-31,B,1.00,EUR\n"
            "2026-11-20,C,1.001,EUR\n2026-11-20,D,1.00,USD,extra\n"
        ),
    )
    result = doublex("recon", "import", str(bad), "--account", BANK)
    assert result.exit_code == 1
    assert "error DX035: statement: 3 of 4 line(s) are invalid" in result.stderr
    for expected in (
        "line 3: date: '2026-11-31' is not a date (YYYY-MM-DD)",
        "line 4: amount: 1.001 has more decimals than EUR allows (2)",
        "line 5: ccy: 'USD' is not the account's currency EUR; 1 field(s) more than the header",
    ):
        assert expected in result.stderr, result.stderr
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_private.statement_line").fetchone()
    assert row == (0,)


def test_a_corrected_date_format_imports_the_file_again(
    books: str, admin_dsn: str, tmp_path: Path
) -> None:
    # Every day ≤ 12: read with the wrong format, nothing fails and the dates are wrong.
    path = write(
        tmp_path, "us.csv", "date,ref,amount\n03.04.2026,AMB-1,4.00\n05.06.2026,AMB-2,5.00\n"
    )
    args = ["recon", "import", str(path), "--account", BANK, "--json"]
    statuses = []
    for date_format in ("MM.DD.YYYY", "DD.MM.YYYY", "DD.MM.YYYY"):
        result = doublex(*args, "--date-format", date_format)
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        statuses.append((document["status"], document["added"]))
    assert statuses == [("imported", 2), ("imported", 2), ("duplicate", 0)]
    with psycopg.connect(admin_dsn) as conn:
        dates = conn.execute(
            "SELECT ref, line_date FROM ledger_private.statement_line ORDER BY line_id"
        ).fetchall()
    # Lines are append-only: the wrongly read ones stay, the corrected ones are added.
    assert dates == [
        ("AMB-1", date(2026, 3, 4)),
        ("AMB-2", date(2026, 5, 6)),
        ("AMB-1", date(2026, 4, 3)),
        ("AMB-2", date(2026, 6, 5)),
    ]


def big_statement(tmp_path: Path, lines: int) -> Path:
    rows = "".join(
        shifted(f"2026-11-21,BIG-{i},{i % 97 + 1}.00,EUR,line {i}\n") for i in range(lines)
    )
    return write(tmp_path, "big.csv", "date,ref,amount,ccy,description\n" + rows)


def test_a_large_import_shows_its_progress(books: str, tmp_path: Path) -> None:
    """On a terminal the bar is drawn and reaches 100%; elsewhere click writes its label."""
    statement = big_statement(tmp_path, 12_000)  # three COPY chunks of up to 5,000 lines
    result = doublex("recon", "import", str(statement), "--account", BANK, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 12_000
    assert "importing big.csv" in result.stderr and "importing" not in result.stdout

    # The real command with stderr on a pseudo-terminal (stdout stays a pipe, for the JSON).
    again = big_statement(tmp_path, 12_001)
    controller, terminal = pty.openpty()
    command = [str(DOUBLEX), "recon", "import", str(again), "--account", BANK, "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal) as process:
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the command exited and closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        out = process.stdout.read() if process.stdout else b""
        assert process.wait(timeout=60) == 0, drawn.decode(errors="replace")[-2000:]
    os.close(controller)
    bar = drawn.decode(errors="replace")
    assert json.loads(out)["added"] == 1  # the 12,000 others were imported above
    assert "importing big.csv" in bar and "[####" in bar and "100%" in bar, bar[-500:]


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("", [], "the file is empty"),
        ("when,what\n", [], "the header has no column 'date', 'amount', 'ref' (or 'id')"),
        ("date,ref,amount\n", ["--map", "amount"], "--map: 'amount' is not FIELD=Header"),
        ("date,ref,amount\n", ["--map", "colour=x"], "--map: 'colour=x' is not FIELD=Header"),
    ],
)
def test_unreadable_files_are_refused(
    books: str, tmp_path: Path, text: str, options: list[str], message: str
) -> None:
    path = write(tmp_path, "s.csv", text)
    result = doublex("recon", "import", str(path), "--account", BANK, *options)
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr


def test_errors_of_run_and_report(books: str, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(shifted("date,ref,amount\n2026-11-20,Caf\xe9,1.00\n").encode("latin-1"))
    result = doublex("recon", "import", str(latin), "--account", BANK)
    assert result.exit_code == 1 and "is not UTF-8 text" in result.stderr

    empty = write(tmp_path, "empty.csv", "date,ref,amount\n\n")
    result = doublex("recon", "import", str(empty), "--account", BANK)
    assert result.exit_code == 1 and "DX035" in result.stderr

    result = doublex(
        "recon", "run", "--date", iso("2026-11-20"), "--account", BANK, "--tolerance", "x"
    )
    assert result.exit_code == 2 and "is not a decimal amount" in result.stderr
    result = doublex(
        "recon", "run", "--date", iso("2026-11-20"), "--account", BANK, "--tolerance", "-0.01"
    )
    assert result.exit_code == 1 and "error DX037" in result.stderr
    result = doublex("recon", "run", "--date", iso("2026-11-20"), "--account", "NOPE")
    assert result.exit_code == 1 and "error DX020" in result.stderr
    result = doublex("recon", "report", "--date", iso("2026-11-19"), "--out", str(tmp_path / "r"))
    assert result.exit_code == 1 and "error DX038" in result.stderr
    result = doublex(
        "recon",
        "report",
        "--date",
        iso("2026-11-19"),
        "--out",
        str(tmp_path / "r"),
        "--format",
        "pdf",
    )
    assert result.exit_code == 2 and "choose from csv, json, html" in result.stderr

    # A date with nothing on either side reconciles to zeros; no exceptions to list.
    result = doublex("recon", "run", "--date", iso("2026-11-01"), "--account", BANK)
    assert result.exit_code == 0 and "no exceptions" in result.stdout
    clean = doublex(
        "recon",
        "report",
        "--date",
        iso("2026-11-01"),
        "--out",
        str(tmp_path / "c"),
        "--format",
        "html",
    )
    assert clean.exit_code == 0
    page = (tmp_path / "c" / shifted("recon-2026-11-01.html")).read_text()
    assert "No exceptions: every line and leg is matched." in page


# -- Chromium ----------------------------------------------------------------------------------

WIDTH, HEIGHT = 1280, 1000
HEADER_BLUE = (0x14, 0x32, 0x4F)
ALERT_RED = (0xFD, 0xEC, 0xEA)


def artifacts() -> Path:
    folder = Path(os.environ.get("DOUBLEX_TEST_ARTIFACTS") or ROOT / ".test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium is missing: run `make deps` (shell/scripts/bootstrap-system.sh)"
    with tempfile.TemporaryDirectory(prefix="doublex-chromium-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            *args,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def render_in_chromium(page: Path) -> None:
    dom = chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert shifted("Reconciliation report · 2026-11-20") in html
    cards = html.index('class="cards"')
    assert cards < html.index("<table"), "the summary figures come before the tables"
    for label, value in (("Matched", "2"), ("Exceptions", "3"), ("Difference", "-57.54")):
        assert f'<div class="label">{label}</div><div class="value">{value}</div>' in html

    shot = artifacts() / "recon-report.png"
    shot.unlink(missing_ok=True)
    taken = chromium(f"--screenshot={shot}", page.as_uri())
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    # The page header band is drawn, and the highlighted (red) summary cards are visible in
    # the first screen, above any table.
    assert pixels[20][20] == HEADER_BLUE
    red_rows = [y for y in range(height) if ALERT_RED in pixels[y][::4]]
    assert red_rows and red_rows[0] < 400, "no highlighted summary card in the first 400 px"


def read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Decode an 8-bit RGB or RGBA PNG into rows of (r, g, b) (standard library only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, header = 8, [], b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[list[tuple[int, int, int]]] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + near) & 0xFF
        rows.append(
            [tuple(line[x * channels : x * channels + 3]) for x in range(width)]  # type: ignore[misc]
        )
        previous = line
    return width, height, rows
