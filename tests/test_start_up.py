"""What every `trainer train` process pays before its first batch: no import it does not need. The ink
pipeline (scipy.ndimage: 0.1-0.4 s) is needed only to draw the pools and the calibration's drawings, which a
run reads from the per-user cache after the first."""

import json

from .commands import run_python

IMPORTS_PROBE = """
import json, sys
import trainer.cli, trainer.engine, trainer.job, trainer.reject
from trainer.outliers import outlier_batch
print(json.dumps(sorted(name for name in ("scipy.ndimage", "trainer.ink.preprocess", "trainer.ink.redraw")
                        if name in sys.modules)))
"""


def test_the_trainer_command_and_a_training_job_import_no_ink_pipeline():
    probe = run_python(code=IMPORTS_PROBE)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == []
