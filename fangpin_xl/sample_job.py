"""The README's main job on built-in sample data (``./dev demo``).

It runs what a county office does, through the same CLI a user types:
write a sample county, validate the township workbooks (the sample carries
planted mistakes, so validation is expected to find errors: exit code 1),
consolidate them into the county workbook, then make the follow-up register,
the village notices and the county report from it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .cli import main as cli_main

DEFAULT_DIR = Path("out") / "样例县"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    base = Path(argv[0]) if argv else DEFAULT_DIR
    townships = base / "乡镇工作簿"
    county = base / "魏县汇总.xlsx"
    steps = [
        ("生成样例县", ["demo", str(townships), "--townships", "4", "--households", "60"], {0}),
        ("校验乡镇工作簿", ["validate", str(townships), "--annotate", str(base / "标注")], {0, 1}),
        ("汇总为县级工作簿", ["merge", str(townships), "-o", str(county), "--quiet",
                             "--sqlite", str(base / "历史.sqlite")], {0, 1}),
        ("帮扶回访登记", ["followup", str(county), "-o", str(base / "回访登记.xlsx")], {0, 1}),
        ("村级公示名单", ["notice", str(county), "-o", str(base / "公示名单.xlsx")], {0}),
        ("全县工作报告", ["report", str(county), "--sqlite", str(base / "历史.sqlite"),
                       "-o", str(base / "工作报告.xlsx")], {0, 1}),
    ]
    for title, args, expected in steps:
        print(f"\n=== {title}：fangpin-xl {' '.join(args)}")
        code = cli_main(args)
        if code not in expected:
            print(f"\n主流程在“{title}”一步失败（退出码 {code}）。", file=sys.stderr)
            return code
    print(f"\n主流程完成。县级工作簿：{county}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
