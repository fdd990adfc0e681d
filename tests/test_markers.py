"""The markers that let a developer run the quick part (`pytest -m "not slow and not mnist and not gui"`): set
from the fixtures a test uses, registered, and strict, while a plain `pytest` still runs every test."""

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package (the test extra)
    import tomli as tomllib

from .commands import ROOT
from .conftest import marks_for


def test_marks_follow_the_fixtures_a_test_uses_directly_or_through_others():
    assert marks_for(["tmp_path"]) == set()
    assert marks_for(["mnist", "mnist_dir"]) == {"mnist"}
    assert marks_for(["mnist_dir", "tmp_path"]) == {"mnist"}
    assert marks_for(["window", "qtbot", "seed"]) == {"gui"}  # `window` asks for qtbot, so its closure holds it
    assert marks_for(["qapp"]) == {"gui"}
    assert marks_for(["qtbot", "mnist_dir"]) == {"gui", "mnist"}
    assert marks_for(["fake_dir", "fake_mnist", "tmp_path"]) == {"slow"}  # fake_dir asks for fake_mnist


def test_a_test_driving_qt_is_marked_gui_and_one_that_does_not_is_not(request, qtbot):
    assert request.node.get_closest_marker("gui") is not None
    assert request.node.get_closest_marker("mnist") is None


def test_a_plain_test_carries_no_marker(request):
    assert {mark.name for mark in request.node.iter_markers()} == set()


def test_the_markers_are_registered_strict_and_deselect_nothing_by_default():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    registered = {line.split(":")[0] for line in options["markers"]}
    assert registered == {"slow", "mnist", "gui"}
    assert "--strict-markers" in options["addopts"]
    assert not any(option.startswith("-m") for option in options["addopts"])  # plain `pytest` runs everything
