"""The README's main job on built-in sample data (``./dev demo``)."""

from __future__ import annotations

import sys

from .cli import main as cli_main


def main() -> int:
    return cli_main(["policy", "show"])


if __name__ == "__main__":
    sys.exit(main())
