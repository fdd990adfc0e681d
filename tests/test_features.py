import threading

import pytest
import torch

from trainer.evaluation import Stopped
from trainer.features import feature_layers, last_layer, layer_features
from trainer.model import build_model


def test_layers_run_from_the_input_to_the_last_block():
    model = build_model()
    layers = feature_layers(model)
    assert layers[0] == "input" and layers[-1] == "classifier.0" and last_layer(model) == "features.8"
    assert len(layers) == 1 + 8  # the seed Net's seven blocks of features and its classifier


def test_features_are_the_layer_output_flattened_and_leave_the_mode_alone():
    torch.manual_seed(0)
    model = build_model().train()
    images = torch.rand(5, 1, 28, 28)
    features = layer_features(model, images, batch_size=2)
    assert features.shape == (5, 32 * 5 * 5)
    assert model.training
    # one picture alone gives the same row as in a batch: eval mode, no batch statistics
    alone = layer_features(model, images[3:4])
    assert torch.allclose(alone[0], features[3], atol=1e-5)
    assert torch.equal(layer_features(model, images, "input"), images.reshape(5, -1))


def test_unknown_layer_and_stop():
    model = build_model()
    with pytest.raises(ValueError, match="no layer 'nope'.*features.0"):
        layer_features(model, torch.rand(2, 1, 28, 28), "nope")
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        layer_features(model, torch.rand(2, 1, 28, 28), stop=stop)
