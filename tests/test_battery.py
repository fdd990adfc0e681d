"""The picture battery's CI sample: no kind of picture reads worse than its recorded figures.

bench/battery.py builds each kind of picture people open (plain, enlarged low-resolution scans, JPEG, blur,
uneven light, ruled paper, coloured ballpoint, blank pages under each light, ...) from a fixed seed and reads
them as `digitpad predict` does. This runs its small fixed sample (the first pictures of each kind, the same
every run) as a program, the way a person runs it, and compares with bench/battery_figures.json, written by
`python bench/battery.py --record`: a change to reading that lowers a row fails here. The kinds built on MNIST's
held-out training digits need the real MNIST ($DIGITPAD_DATA) and are skipped, saying so, without it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDED = json.loads((ROOT / "bench" / "battery_figures.json").read_text())
TOLERANCE = 1.0  # points: a kind may read this much worse than recorded (one picture in a hundred), no more

pytestmark = pytest.mark.slow  # every test reads the battery bench/battery.py builds, in a subprocess


@pytest.fixture(scope="module")
def battery():
    command = [sys.executable, str(ROOT / "bench" / "battery.py"), "--json", "--n", str(RECORDED["ci"]["n"])]
    data = os.environ.get("DIGITPAD_DATA")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(command + (["--data-dir", data] if data else []), capture_output=True, text=True,
                            timeout=600, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("kind", list(RECORDED["ci"]["kinds"]))
def test_no_kind_of_picture_reads_worse_than_recorded(battery, kind):
    if kind not in battery["kinds"]:
        pytest.skip("; ".join(note for note in battery["notes"] if note.startswith(kind)) or f"{kind} not measured")
    recorded, measured = RECORDED["ci"]["kinds"][kind], battery["kinds"][kind]
    for figure in ("right", "right_and_sure"):
        assert measured[figure] >= recorded[figure] - TOLERANCE, (
            f"{kind}: {figure.replace('_', ' ')} {measured[figure]:.1f}% against {recorded[figure]:.1f}% recorded")


def test_a_blank_page_never_reads_a_number_under_any_light(battery):
    blank = {kind: figures for kind, figures in battery["kinds"].items() if kind.startswith("blank page")}
    assert len(blank) == 7  # even, lamp, two shadows, two vignettes, a grey gradient
    assert {kind: figures["right"] for kind, figures in blank.items()} == {kind: 100.0 for kind in blank}


def test_every_kind_measured_has_recorded_figures(battery):
    # A kind added to the battery without its figures would be guarded by nothing.
    assert set(battery["kinds"]) <= set(RECORDED["ci"]["kinds"]) == set(RECORDED["full"]["kinds"])
