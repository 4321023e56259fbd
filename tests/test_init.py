import subprocess
import sys

import fangpin_xl


def test_every_exported_name_resolves_and_is_documented():
    for name in fangpin_xl.__all__:
        value = getattr(fangpin_xl, name)
        if callable(value) and not name.isupper():
            assert value.__doc__, f"{name} has no docstring"


def test_no_submodule_shadows_an_exported_name():
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(fangpin_xl.__path__)}
    assert not modules & set(fangpin_xl.__all__)


def test_public_api_works_from_the_package():
    import fangpin_xl.relief  # noqa: F401 - importing the module must not hide payout()

    policy = fangpin_xl.load_policy()
    result = fangpin_xl.check_household("边缘易致贫户", 6000, medical=20000, policy=policy)
    assert (result.status, result.met_text) == ("符合", "收入、因病")
    assert fangpin_xl.payout("因病", 41040, group="脱贫不稳定户", policy=policy) == 6208.0
    import datetime as dt

    assert fangpin_xl.add_workdays(dt.date(2020, 4, 29), 15, policy=policy) == dt.date(2020, 5, 22)
    assert fangpin_xl.validate_id(fangpin_xl.make_id("130434", dt.date(1990, 1, 1), 12)).valid


def test_importing_the_package_does_not_import_pandas():
    code = "import sys, fangpin_xl, fangpin_xl.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_core_and_the_checks_import_no_writer_and_no_file_reader():
    """The Excel functions run where only pure-Python packages and pandas exist (xlwings Lite)."""
    code = ("import sys, fangpin_xl.derive, fangpin_xl.checks, fangpin_xl.rules, fangpin_xl.relief, "
            "fangpin_xl.workbook.read, fangpin_xl.notice, fangpin_xl.ledger, fangpin_xl.formulas, "
            "fangpin_xl.excel.udfs, fangpin_xl.excel.scripts, fangpin_xl.followup_register, fangpin_xl.indicators; "
            "print(sorted(m for m in ('xlsxwriter', 'python_calamine', 'openpyxl', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
