"""Every ``showerml anomaly`` command of docs/anomaly.md, run as written on small files in the layouts it names.

The test writes the inputs the docs assume (the nine official signal-region files in the working folder, a QCD and
a signal file in the showerml dijet layout) from the toy generator, then runs each command in order, changing only
sizes: toy samples are capped at 16,000 background / 3,000 signal events, and training commands get
``--ensemble 1 --epochs 2 -q`` (a scan also ``--seeds 0``) appended (the last value of an option wins).
Commands that need Pythia (``showerml simulate dijet``) are covered by tests/test_dijet_sim.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from showerml.anomaly.toy import toy_dijets
from tests.anomaly_helpers import FAST, cli, official_files, write_dijet_h5

DOC = Path(__file__).resolve().parents[1] / "docs" / "anomaly.md"
CAPS = {"--n-background": 16000, "--n-signal": 3000}


def doc_commands() -> list[list[str]]:
    """Shell lines of the bash blocks (continuations joined, comments dropped), split into words."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" # ")[0].strip()
            if line and not line.startswith("#"):
                commands.append(shlex.split(line))
    return commands


def _shrink(words: list[str]) -> list[str]:
    out = list(words)
    for i, w in enumerate(out[:-1]):
        if w in CAPS:
            out[i + 1] = str(min(int(out[i + 1]), CAPS[w]))
    if out[1] in ("run", "scan"):
        out += FAST + (["--seeds", "0"] if out[1] == "scan" else [])
    return out


def test_docs_show_the_official_protocol() -> None:
    text = " ".join(" ".join(c) for c in doc_commands())
    for option in ("--train", "--val", "--test", "--reference", "--signal", "innerdata_extrabkg_train.npy"):
        assert option in text
    assert "MEASURED_TABLE" not in DOC.read_text()


@pytest.mark.slow  # ≈ 9 commands that train; minutes on a loaded 2-core machine
def test_every_anomaly_command_in_the_docs_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for path in official_files(tmp_path / "_official").values():
        shutil.move(path, tmp_path / path.name)
    write_dijet_h5(tmp_path / "qcd.h5", toy_dijets(16000, 0, seed=7))
    write_dijet_h5(tmp_path / "signal.h5", toy_dijets(0, 3000, seed=8))
    ran = []
    for words in doc_commands():
        if words[:2] == ["mkdir", "-p"]:
            Path(words[2]).mkdir(parents=True, exist_ok=True)
            continue
        if words[:2] == ["showerml", "simulate"]:
            continue
        assert words[:2] == ["showerml", "anomaly"], f"unexpected command in the docs: {' '.join(words)}"
        code, stdout, err = cli(capsys, monkeypatch, *_shrink(words[1:]))
        assert code == 0, f"{' '.join(words)}\n{err}"
        ran.append(words[2])
        if words[2] == "run":
            assert "report:" in stdout
    assert {"run", "scan", "prepare", "toy"} <= set(ran)
