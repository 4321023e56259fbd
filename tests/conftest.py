"""Shared fixtures.

``soffice``: recalculates a workbook in LibreOffice headless and returns the
path of the recalculated copy. LibreOffice does not recalculate .xlsx files on
load by default, so it runs with a throwaway profile whose
registrymodifications.xcu sets OOXMLRecalcMode to 0 ("always recalculate").
Tests using it are skipped, with the reason shown, where ``soffice`` is not
installed.

The Excel functions are called through xlwings' own Office.js call path
(``xlwings.server.custom_functions_call``), which xlwings enables only when these two
variables are set before it is first imported. They are set here, in the test process;
the package itself never sets them.
"""

from __future__ import annotations

import os

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import shutil  # noqa: E402 - after the xlwings settings above
import subprocess  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SOFFICE_TIMEOUT = 180

_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(soffice: str, path: Path, out_dir: Path, profile: Path,
                timeout: int = SOFFICE_TIMEOUT, to: str = "xlsx") -> Path:
    """Open ``path`` in LibreOffice, recalculate, save as ``to`` (xlsx, xls …) in ``out_dir``."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        soffice, f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless", "--norestore", "--nolockcheck",
        "--convert-to", to, "--outdir", str(out_dir), str(path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    target = out_dir / (Path(path).stem + "." + to)
    if result.returncode != 0 or not target.exists():
        raise AssertionError(
            f"LibreOffice failed on {path} (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return target


@pytest.fixture(scope="session")
def soffice(tmp_path_factory) -> Callable[[Path], Path]:
    """A function: (workbook path, format="xlsx") → its copy recalculated and saved by LibreOffice."""
    executable = find_soffice()
    if executable is None:
        pytest.skip("LibreOffice (soffice) is not installed: recalculation tests skipped")
    profile = tmp_path_factory.mktemp("lo-profile")
    counter = iter(range(1_000_000))

    def run(path: Path, to: str = "xlsx") -> Path:
        out_dir = tmp_path_factory.mktemp(f"recalculated{next(counter)}")
        return recalculate(executable, Path(path), out_dir, profile, to=to)

    return run


class SampleCounty:
    """The sample county (4 townships × 60 households, seed 0) and its county workbook."""

    def __init__(self, root: Path):
        import datetime as dt

        from fangpin_xl.demo import write_sample_county
        from fangpin_xl.merge import merge_workbooks
        from fangpin_xl.policy import Policy

        self.townships = root / "乡镇工作簿"
        self.sample = write_sample_county(self.townships, townships=4, households=60, seed=0,
                                          policy=Policy(year=2020))
        self.county = root / "魏县汇总.xlsx"
        self.sqlite = root / "历史.sqlite"
        self.merge = merge_workbooks([self.townships], self.county, jobs=1, today=dt.date(2021, 1, 15),
                                     sqlite=self.sqlite)

    def township(self, name: str) -> Path:
        return self.sample.workbooks[name]


@pytest.fixture(scope="session")
def sample_county(tmp_path_factory) -> SampleCounty:
    """The sample county merged once for the ledgers' tests (read-only: copy before changing)."""
    return SampleCounty(tmp_path_factory.mktemp("ledgers"))


def _chinese_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


@pytest.fixture(scope="session")
def pdf_pages() -> Callable[[Path], list[str]]:
    """A function: PDF path → the text of each page (pdftotext). Skips, saying why, where
    poppler-utils or a Chinese font (LibreOffice draws boxes without one) is missing."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("poppler-utils (pdftotext, pdftoppm) is not installed: the rendered pages are not checked")
    if not _chinese_font():
        pytest.skip("no Chinese font is installed (fc-list :lang=zh): LibreOffice cannot draw the text")

    def pages(pdf: Path) -> list[str]:
        done = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
        return done.stdout.split("\f")[:-1]

    return pages


@pytest.fixture(scope="session")
def township_as_xls(soffice, tmp_path_factory) -> tuple[Path, Path]:
    """A filled township workbook (the template, as the sample county fills it, with its planted
    mistakes) opened in LibreOffice and saved as .xlsx and as .xls, as a township might send it."""
    from fangpin_xl.demo import write_sample_county
    from fangpin_xl.policy import Policy

    root = tmp_path_factory.mktemp("as-xls")
    sample = write_sample_county(root / "乡镇", townships=1, households=30, seed=0, policy=Policy(year=2020))
    (source,) = sample.workbooks.values()
    return soffice(source), soffice(source, to="xls")
