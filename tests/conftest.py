import os
from pathlib import Path

import pytest

# Qt has no screen on CI machines; set before any test imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from trainer.data import missing_files, resolve_data_dir  # noqa: E402


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
