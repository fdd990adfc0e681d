"""trainer.projection: the points map's PCA and t-SNE, the out-of-sample step, and stopping a t-SNE at once."""

import os
import threading
import time

import numpy as np
import pytest
import torch

from trainer import projection
from trainer.evaluation import Stopped
from trainer.features import layer_features
from trainer.model import build_model
from trainer.projection import LayerSpace, fit_space, fit_tsne, place, run_stoppable


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model().eval()


@pytest.fixture(scope="module")
def images():
    return torch.rand(120, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def test_the_pca_map_is_sklearn_s_two_component_pca_and_a_new_picture_goes_through_it_exactly(model, images):
    from sklearn.decomposition import PCA

    space = fit_space(model, images, "features.8")
    features = layer_features(model, images, "features.8").numpy()
    expected = PCA(2).fit_transform(features)
    assert space.positions.shape == (120, 2) and space.fitted_on == 120 and space.dims == 800
    signs = np.sign((space.positions * expected).sum(0))  # a component's sign is arbitrary
    assert np.allclose(space.positions, expected * signs, atol=1e-3)
    alone = layer_features(model, images[7:8], "features.8").numpy()  # the drawing on the pad, as one picture
    assert np.allclose(space.reduce(alone)[0], space.coords[7], atol=1e-4)
    assert 0 < space.variance[:2].sum() <= 1
    one = fit_space(model, images[:1], "features.8")  # a set of one picture still makes a 2-D map
    assert one.positions.shape == (1, 2) and one.reduce(alone).shape == (1, 2)


def test_a_wide_layer_is_fitted_on_a_sample_and_still_projects_every_digit(model, images, monkeypatch):
    monkeypatch.setattr(projection, "MIN_FIT", 10)
    wide = fit_space(model, images, "features.0", budget=4 * 10_816 * 50)  # room for 50 digits' features
    assert wide.fitted_on == 50 and wide.coords.shape == (120, 50) and wide.dims == 16 * 26 * 26
    alone = layer_features(model, images[100:101], "features.0").numpy()
    assert np.allclose(wide.reduce(alone)[0], wide.coords[100], atol=1e-3)
    with pytest.raises(ValueError, match="no layer"):
        fit_space(model, images, "nope")


def test_the_out_of_sample_step_is_a_distance_weighted_mean_and_a_fitted_point_lands_on_itself():
    fitted = np.array([[0.0, 0], [2, 0], [0, 4]])
    positions = np.array([[10.0, 10], [20, 10], [10, 30]], np.float32)
    placed = place(np.array([[1.0, 0], [0, 4], [0.5, 0]]), fitted, positions, neighbours=2)
    assert np.allclose(placed[0], [15, 10])            # halfway between two at distance 1
    assert np.allclose(placed[1], [10, 30])            # on a fitted point: that point, not a mean
    assert np.allclose(placed[2], [10 + 10 * 0.25, 10])  # weights 1/0.5 and 1/1.5: 3/4 and 1/4


def test_t_sne_on_a_sample_places_the_others_by_the_stated_step(monkeypatch):
    rng = np.random.default_rng(0)
    coords = np.concatenate([rng.normal(0, 1, (40, 5)), rng.normal(30, 1, (40, 5))]).astype(np.float32)
    space = LayerSpace("x", 5, np.zeros(5), np.eye(5), np.full(5, 0.2), coords, 80, 0.0)
    tsne = fit_tsne(space, sample_size=50)
    assert tsne.fitted_count == 50 and tsne.positions.shape == (80, 2)
    fitted = np.flatnonzero(tsne.fitted)
    assert np.allclose(tsne.place(coords[fitted[:3]], space), tsne.positions[fitted[:3]], atol=1e-4)
    outside = np.flatnonzero(~tsne.fitted)
    assert np.allclose(tsne.positions[outside], place(coords[outside], coords[fitted], tsne.positions[fitted]))
    # the two clusters stay apart: every point is nearer its own cluster's centre than the other's
    centres = [tsne.positions[:40].mean(0), tsne.positions[40:].mean(0)]
    own = np.linalg.norm(tsne.positions[:40] - centres[0], axis=1).max()
    assert own < np.linalg.norm(centres[0] - centres[1])
    with pytest.raises(ValueError, match="at least 4"):
        fit_tsne(LayerSpace("x", 5, np.zeros(5), np.eye(5), np.ones(5), coords[:3], 3, 0.0))


def test_a_stopped_t_sne_ends_at_once_and_a_failing_one_says_why():
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.perf_counter()
    with pytest.raises(Stopped):
        run_stoppable(time.sleep, (60,), stop)
    assert time.perf_counter() - started < 10
    with pytest.raises(ValueError, match="at least 4 digits"):  # the child's own exception, raised here
        run_stoppable(fit_tsne, (LayerSpace("x", 5, np.zeros(5), np.eye(5), np.ones(5), np.zeros((3, 5)), 3, 0.0),))
    with pytest.raises(RuntimeError, match="code 3"):  # a child that dies says how
        run_stoppable(os._exit, (3,))
