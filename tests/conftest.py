import os
from pathlib import Path

import pytest

# Qt has no screen on CI machines; set before any test imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from trainer.data import missing_files, resolve_data_dir  # noqa: E402

from .fake_mnist import write_fake_mnist  # noqa: E402

# Markers that follow from what a test asks for (pyproject registers them); a test that runs a subprocess or is
# slow for another reason says `@pytest.mark.slow` itself. `pytest -m "not slow and not mnist"` is the quick run;
# a plain `pytest` still runs everything.
FIXTURE_MARKS = {
    "mnist": {"mnist", "mnist_dir"},   # the real MNIST from $DIGITPAD_DATA (skipped without it)
    "gui": {"qtbot", "qapp"},          # Qt widgets, through pytest-qt (the `window` fixture uses qtbot)
    "slow": {"fake_mnist",             # a fake MNIST is there to be trained or evaluated on (fake_dir and kin)
             "examples_models"},       # pytorch/examples' Net, trained briefly and exported three ways
}


def marks_for(fixturenames) -> set[str]:
    """The markers a test earns by the fixtures it uses, directly or through other fixtures."""
    return {mark for mark, fixtures in FIXTURE_MARKS.items() if fixtures & set(fixturenames)}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in sorted(marks_for(getattr(item, "fixturenames", ()))):
            item.add_marker(mark)


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory):
    """One per-user cache folder for the whole session: what is cached there (the non-digit pictures outlier
    exposure trains with) is made once, not once per test."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path_factory, monkeypatch, session_cache):
    """Keep every test away from the real per-user data and cache folders (models, downloaded MNIST)."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(session_cache))
    return home


@pytest.fixture(scope="session")
def fake_mnist(tmp_path_factory):
    """fake_mnist(n_train, n_test, seed) -> the folder of a fake MNIST of that size (tests/fake_mnist.py), written
    once per session for each size: nothing writes into a data folder, so every test that asks may share it."""
    made: dict[tuple[int, int, int], Path] = {}

    def make(n_train: int = 64, n_test: int = 32, seed: int = 0) -> Path:
        key = (n_train, n_test, seed)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"fake-mnist-{n_train}-{n_test}-{seed}")
            made[key] = write_fake_mnist(folder, n_train=n_train, n_test=n_test, seed=seed)
        return made[key]

    return make


@pytest.fixture(scope="session")
def fake_dir(fake_mnist) -> str:
    """The fake MNIST most trainings run on (256 training images, 64 test), as the string a --data-dir takes.
    Tests count on the size: a run's train_images is 256 less the validation share."""
    return str(fake_mnist(256, 64))


@pytest.fixture(scope="session")
def fake_dir_512(fake_mnist) -> str:
    """A larger fake MNIST (512 training images, 128 test) for the training tabs, whose runs must last a while."""
    return str(fake_mnist(512, 128))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST root from $DIGITPAD_DATA; tests that need it skip, saying why, when it is absent."""
    value = os.environ.get("DIGITPAD_DATA")
    if not value:
        pytest.skip("needs the real MNIST: set DIGITPAD_DATA to the folder holding MNIST/raw/")
    root = resolve_data_dir(value)
    if missing_files(root):
        pytest.skip(f"needs the real MNIST: DIGITPAD_DATA={value} lacks {', '.join(missing_files(root))}")
    return root


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """(train, test) splits of the real MNIST, read once per test session."""
    from trainer.data import load_mnist

    return load_mnist(mnist_dir, download=False)


@pytest.fixture(scope="module")
def seed():
    """The built-in model (the seed Net as shipped), loaded once per test module."""
    from digitpad import builtin_checkpoint_path
    from trainer.checkpoint import load_checkpoint

    return load_checkpoint(builtin_checkpoint_path()).model


@pytest.fixture
def window(qtbot):
    """digitpad's main window with the built-in model, shown and active (shortcuts go to the active window)."""
    from digitpad.window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


@pytest.fixture(scope="session")
def examples_models(mnist, tmp_path_factory):
    """pytorch/examples' MNIST Net (tests/examples_net.py) trained briefly on the real MNIST, once per session, and
    saved as ONNX, TorchScript and torch.export: {"onnx": path, "torchscript": path, "export": path, "net": Net}."""
    from .examples_net import train_briefly, save_three_ways

    net = train_briefly(mnist[0])
    paths = save_three_ways(net, tmp_path_factory.mktemp("examples-net"))
    return {**paths, "net": net}
