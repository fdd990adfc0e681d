"""Every per-user folder comes from trainer.paths, under the data folder or the cache folder platformdirs gives
(here the XDG folders conftest points at a temporary place)."""

import os

import torch

from trainer import digit_pool, outliers
from trainer.data import LabelledImages, resolve_data_dir
from trainer.paths import (
    cache_folder,
    data_folder,
    default_data_dir,
    default_personal_dir,
    digit_pool_file,
    models_dir,
    outlier_pool_file,
)
from trainer.personal_set import resolve_personal_dir

from .test_layout import modules, third_party_imports


def test_what_a_person_would_miss_is_in_the_data_folder_and_the_rest_in_the_cache(isolated_user_folders,
                                                                                  session_cache, monkeypatch):
    data, cache = isolated_user_folders / "data" / "digitpad", session_cache / "digitpad"
    assert (data_folder(), cache_folder()) == (data, cache)
    assert models_dir() == data / "models" and default_personal_dir() == data / "personal"
    assert default_data_dir() == cache / "mnist"
    assert outlier_pool_file(3, 3000, 0) == cache / "outliers-v3-3000-0.pt"
    assert digit_pool_file(1, 0) == cache / "digits-v1-0.pt"
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    monkeypatch.delenv("DIGITPAD_PERSONAL", raising=False)
    assert resolve_data_dir() == default_data_dir() and resolve_personal_dir() == default_personal_dir()


def test_the_pools_are_cached_where_trainer_paths_says(monkeypatch):
    outliers.outlier_pool(size=4, seed=12345)
    assert outlier_pool_file(outliers.POOL_VERSION, 4, 12345).is_file()

    small = LabelledImages(torch.zeros(3, 1, 28, 28), torch.tensor([1, 2, 3]))
    monkeypatch.setattr(digit_pool, "build_pool", lambda seed: small)
    digit_pool.digit_pool(seed=12345)
    assert digit_pool_file(digit_pool.POOL_VERSION, 12345).is_file()
    os.remove(digit_pool_file(digit_pool.POOL_VERSION, 12345))  # the session's cache is shared: leave no fake pool


def test_no_module_but_trainer_paths_places_a_per_user_folder():
    placing = sorted(name for name, path in modules().items() if "platformdirs" in third_party_imports(path))
    assert placing == ["trainer.paths"]
