"""The CLI frame: Chinese help, the one exit-code rule, click's messages in Chinese."""

from pathlib import Path

import click

from fangpin_xl import errors
from fangpin_xl.cli import _CLICK_ZH, cli, main


def test_every_translated_click_message_still_exists_in_click():
    """A click upgrade that rewords a message would silently bring English back."""
    folder = Path(click.__file__).parent
    source = "".join(path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py")))
    missing = [msgid for msgid in _CLICK_ZH if repr(msgid) not in source and f'"{msgid}"' not in source]
    assert missing == []


def test_exit_codes_are_stated_once_and_shown_by_every_command(capsys):
    assert errors.exit_code(errors=0, unusable=0) == 0
    assert errors.exit_code(errors=3, unusable=0) == 1
    assert errors.exit_code(errors=3, unusable=1) == 2
    names = []
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    assert {"validate", "merge", "excel info", "policy show"} <= set(names)
    for name in names:
        assert main([*name.split(), "--help"]) == 0
        assert errors.EXIT_CODES_TEXT.replace("\n", "").replace(" ", "") in \
            capsys.readouterr().out.replace("\n", "").replace(" ", "")


def test_a_usage_error_is_exit_2_in_chinese(capsys):
    assert main(["validate", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert "没有选项" in err and "No such option" not in err
