"""What a process pays before its work starts: no import it does not need, and none paid twice.

- The ink pipeline (scipy.ndimage: 0.1-0.4 s) is needed only to draw the pools and the calibration's drawings,
  which a `trainer train` run reads from the per-user cache after the first.
- The window imports torch before Qt: once PySide6 is imported, its import hook reads the source of every
  module imported after it (torch has 1,100), about 0.2 s more before the window shows.
- The window shows before scipy.ndimage (0.19 s) is imported: the ink pipeline imports it where it is used, and
  the app imports it in a thread once the window has shown, before anyone has drawn.
- What starting the window made is left out of later garbage collections: a full collection walked it all,
  holding the GIL long enough to freeze the window (digitpad.app.freeze_start_up_objects).
"""

import json

import pytest

from .commands import run_python

IMPORTS_PROBE = """
import json, sys
import trainer.cli, trainer.engine, trainer.job, trainer.reject
from trainer.outliers import outlier_batch
print(json.dumps(sorted(name for name in ("scipy.ndimage", "trainer.ink.preprocess", "trainer.ink.redraw")
                        if name in sys.modules)))
"""


@pytest.mark.slow  # a subprocess
def test_the_trainer_command_and_a_training_job_import_no_ink_pipeline():
    probe = run_python(code=IMPORTS_PROBE)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == []


# The window started as `digitpad` starts it; once it is shown (the app then sets its Ctrl-C handler), the order
# in which the modules were first imported (sys.modules keeps it) is printed and the window closed.
WINDOW_PROBE = """
import json, signal, sys, threading
import digitpad.app as app

importers = []  # the thread that first imports scipy.ndimage


class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy.ndimage" and not importers:
            importers.append(threading.current_thread().name)
        return None


sys.meta_path.insert(0, Spy())

class Signals:
    def __getattr__(self, name):
        return getattr(signal, name)

    def signal(self, number, handler):
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        import gc

        order = list(sys.modules)
        first = {name: order.index(name) for name in ("torch", "PySide6")}
        shown = {**first, "scipy_when_shown": "scipy.ndimage" in sys.modules,
                 "frozen": gc.get_freeze_count(), "collected": len(gc.get_objects())}
        waited = []

        def quit_once_scipy_is_in():  # or after 20 s without it
            waited.append(1)
            if "scipy.ndimage" in sys.modules or len(waited) > 1000:
                print(json.dumps({**shown, "scipy_later": "scipy.ndimage" in sys.modules,
                                  "scipy_thread": importers[0] if importers else None}))
                QApplication.quit()
            else:
                QTimer.singleShot(20, quit_once_scipy_is_in)

        QTimer.singleShot(0, quit_once_scipy_is_in)
        return signal.signal(number, handler)

app.signal = Signals()
sys.exit(app.main([]))
"""


@pytest.mark.slow  # a subprocess
def test_the_window_imports_torch_before_qt_and_scipy_in_a_thread_after_it_shows():
    probe = run_python(code=WINDOW_PROBE, env={"QT_QPA_PLATFORM": "offscreen"})
    assert probe.returncode == 0, probe.stderr
    first = json.loads(probe.stdout.strip().splitlines()[-1])
    assert first["torch"] < first["PySide6"], first
    assert not first["scipy_when_shown"] and first["scipy_later"], first
    assert first["scipy_thread"] == "scipy-preload", first  # not the GUI thread


@pytest.mark.slow  # a subprocess
def test_a_full_garbage_collection_no_longer_walks_what_starting_the_window_made():
    probe = run_python(code=WINDOW_PROBE, env={"QT_QPA_PLATFORM": "offscreen"})
    assert probe.returncode == 0, probe.stderr
    counts = json.loads(probe.stdout.strip().splitlines()[-1])
    assert counts["frozen"] > 10 * counts["collected"], counts


# `trainer info` run as its console script runs it (main()), or as a caller in the process would (main(argv)),
# with a teardown step of its own registered.
TEARDOWN_PROBE = """
import atexit, sys
from trainer.cli import main
atexit.register(lambda: print("TEARDOWN"))
sys.argv = ["trainer", "info"]
sys.exit(main() if "{how}" == "command" else main(["info"]))
"""


@pytest.mark.slow  # subprocesses
def test_a_finished_command_ends_its_process_without_the_interpreters_teardown():
    command = run_python(code=TEARDOWN_PROBE.format(how="command"))
    caller = run_python(code=TEARDOWN_PROBE.format(how="caller"))
    assert command.returncode == caller.returncode == 0, command.stderr + caller.stderr
    assert caller.stdout.endswith("TEARDOWN\n")  # the step runs when the interpreter tears down
    assert command.stdout == caller.stdout.removesuffix("TEARDOWN\n")  # all printed, and no teardown
