import json

from fangpin_xl.cli import main


def test_demo_writes_a_sample_county(tmp_path, capsys):
    code = main(["demo", str(tmp_path / "县"), "--townships", "2", "--households", "20", "--seed", "3"])
    out = capsys.readouterr().out.strip()
    assert code == 0
    manifest = json.loads((tmp_path / "县" / "manifest.json").read_text(encoding="utf-8"))
    workbooks = sorted(p.name for p in (tmp_path / "县").glob("*.xlsx") if not p.name.startswith("~$"))
    assert len(workbooks) >= 2
    assert out.startswith(f"已在 {tmp_path / '县'} 生成样例县：2 个乡镇工作簿，监测户 40 户")
    assert out.endswith(
        f"预置错误 {len(manifest['mistakes'])} 处（{len(manifest['codes'])} 类），见 manifest.json。"
    )


def test_demo_rejects_too_few_households(tmp_path, capsys):
    assert main(["demo", str(tmp_path), "--households", "3"]) == 2
    assert "--households" in capsys.readouterr().err
