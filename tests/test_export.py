"""`trainer export --onnx` as a user runs it (a subprocess), the file checked with ONNX Runtime on real MNIST, the
refusals (an existing file, a mismatch, the missing extra), and File > Export in the window."""


import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from PySide6.QtWidgets import QMessageBox

import trainer.export as export
from digitpad import builtin_checkpoint_path
from trainer.checkpoint import load_checkpoint
from trainer.data import normalize
from trainer.export import ExportError, export_onnx

from .commands import run_trainer

SEED = str(builtin_checkpoint_path())


@pytest.fixture(scope="module")
def exported(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("export") / "seed.onnx"
    result = run_trainer("export", SEED, "--onnx", str(out), "--data-dir", str(mnist_dir), "--no-download")
    return result, out


def test_export_writes_an_onnx_model_that_onnx_runtime_runs_like_pytorch_on_real_digits(exported, mnist):
    result, out = exported
    assert result.returncode == 0, result.stderr
    assert "1,000 MNIST test images" in result.stdout and "max abs difference from PyTorch" in result.stdout
    assert f"exported {SEED} to {out}" in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["seed.onnx"]  # one file: no external data, no leftovers

    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (given,), first = session.get_inputs(), session.get_outputs()[0]
    assert given.type == "tensor(float)" and given.shape[1:] == [1, 28, 28] and isinstance(given.shape[0], str)
    assert first.name == "log_probabilities"
    _, test = mnist
    model = load_checkpoint(SEED).model
    for images in (test.images[1000:3000], test.images[:1], test.images[5000:5013]):  # other digits, other sizes
        pixels = (images * 255).round()  # as a user would feed 0-255 pixels: (x/255 - mean) / std
        inputs = normalize(pixels / 255)
        ours = session.run(None, {given.name: inputs.numpy()})[0]
        with torch.no_grad():
            theirs = model(inputs).numpy()
        assert ours.shape == (len(images), 10) and np.abs(ours - theirs).max() <= 1e-4
        assert np.allclose(np.exp(ours).sum(axis=1), 1, atol=1e-5)  # log-probabilities
    accuracy = (session.run(None, {given.name: normalize(test.images).numpy()})[0].argmax(1) ==
                test.labels.numpy()).mean()
    assert accuracy == pytest.approx(load_checkpoint(builtin_checkpoint_path()).test_accuracy, abs=1e-4)
    meta = {entry.key: entry.value for entry in onnx.load(str(out)).metadata_props}
    assert meta["normalization_mean"] == "0.1307" and meta["normalization_std"] == "0.3081"


@pytest.mark.slow  # a subprocess
def test_an_existing_file_is_replaced_only_with_force_and_only_if_it_is_an_onnx_model(exported, mnist_dir, tmp_path):
    _, out = exported
    before = out.read_bytes()
    again = run_trainer("export", SEED, "--onnx", str(out), "--data-dir", str(mnist_dir))
    assert again.returncode == 1 and "already exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == before
    notes = tmp_path / "notes.onnx"
    notes.write_text("my notes")
    refused = run_trainer("export", SEED, "--onnx", str(notes), "--force", "--data-dir", str(mnist_dir))
    assert refused.returncode == 1 and "not an ONNX model" in refused.stderr
    assert notes.read_text() == "my notes"
    forced = run_trainer("export", SEED, "--onnx", str(out), "--force", "--data-dir", str(mnist_dir), "--no-download")
    assert forced.returncode == 0, forced.stderr
    assert onnx.load(str(out)).graph.output[0].name == "log_probabilities"


@pytest.mark.slow  # a subprocess
def test_without_the_extra_the_command_says_how_to_install_it_in_one_line(tmp_path):
    code = ("import sys; sys.modules['onnxruntime'] = None; from trainer.cli import main; "
            "sys.argv[0] = 'trainer'; sys.exit(main(sys.argv[1:]))")
    result = run_trainer("export", SEED, "--onnx", str(tmp_path / "m.onnx"), code=code)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "pip install '.[export]'" in result.stderr
    assert "pip install onnx onnxruntime onnxscript" in result.stderr
    assert "onnxruntime" in result.stderr and not (tmp_path / "m.onnx").exists()


@pytest.mark.slow  # an ONNX export
def test_a_file_that_disagrees_with_pytorch_is_refused_and_not_written(monkeypatch, tmp_path):
    monkeypatch.setattr(export, "_write", lambda model, path, meta: path.write_bytes(b"an onnx file"))
    monkeypatch.setattr(export, "compare", lambda path, model, images: (2e-4, (10, 1, 7)))
    with pytest.raises(ExportError, match=r"differ by up to 0.0002 \(allowed: 0.0001\)"):
        export_onnx(load_checkpoint(SEED).model, tmp_path / "m.onnx", torch.rand(10, 1, 28, 28))
    assert list(tmp_path.iterdir()) == []  # neither the target nor the temporary file


# ----- File > Export in the window ---------------------------------------------------------------------------
def test_file_export_writes_a_checked_onnx_model_in_the_background(window, qtbot, tmp_path, mnist_dir):
    window.train_tab.settings.dataDir.setText(str(mnist_dir))
    worker = window.export_model(tmp_path / "from-window.onnx")
    assert not window.export_action.isEnabled()
    assert window.export_job.worker is worker
    # On the WorkerSlot, which repeats it on the GUI thread: a pytest-qt wait on a signal sent from the worker's
    # thread is a queued connection to a receiver PySide frees when the wait ends.
    with qtbot.waitSignal(window.export_job.done, timeout=120_000) as signal:
        pass
    assert "1,000 MNIST test images" in signal.args[0] and "from-window.onnx" in signal.args[0]
    qtbot.waitUntil(lambda: window.export_action.isEnabled())
    session = onnxruntime.InferenceSession(str(tmp_path / "from-window.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_outputs()[0].name == "log_probabilities"


def test_file_export_without_the_extra_says_how_to_install_it(window, monkeypatch):
    monkeypatch.setattr("digitpad.window.missing_modules", lambda load=True: ["onnxscript"])
    window.export_action.trigger()
    box = window.findChild(QMessageBox)
    assert "pip install '.[export]'" in box.informativeText() and "onnxscript" in box.informativeText()
