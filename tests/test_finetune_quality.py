"""Fine-tuning really learns a hand the built-in model misreads, on the real MNIST, from digits drawn on the real
canvas: a small version of bench/finetune_quality.py (which reports the full figures)."""

from digitpad import builtin_checkpoint_path
from digitpad.draw.canvas import DrawingCanvas
from digitpad.draw.scripted import write_unusual_set
from trainer.finetune import FinetuneSettings, run_finetune


def test_fine_tuning_learns_continental_ones_and_sevens_and_keeps_mnist(qtbot, mnist_dir, tmp_path):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 400)
    canvas.show()
    write_unusual_set(canvas, tmp_path / "personal", per_digit=9, seed=1, digits=[1, 7])
    settings = FinetuneSettings(epochs=1, mnist_images=2000, data_dir=str(mnist_dir))
    result = run_finetune(builtin_checkpoint_path(), tmp_path / "personal", tmp_path / "mine.pt", settings,
                          download=False)
    assert result.held_out == 6  # a third of each digit's nine
    # The built-in model reads most of these flagged 1s as 7s; the fine-tuned one (not trained on them) does not.
    assert result.personal_accuracy_before <= 5 / 6 and result.personal_accuracy_after == 1.0
    assert result.mnist_accuracy >= 0.99
