import pytest
import torch

from trainer.model import MODELS, build_model, count_parameters, layer_table


def test_seed_net_has_exactly_17504_trainable_parameters():
    assert count_parameters(build_model("seed")) == 17_504


def test_output_is_log_probabilities_for_ten_classes():
    model = build_model().eval()
    with torch.no_grad():
        log_probs = model(torch.randn(5, 1, 28, 28))
    assert log_probs.shape == (5, 10)
    assert (log_probs <= 0).all()
    torch.testing.assert_close(log_probs.exp().sum(dim=1), torch.ones(5))


def test_last_map_is_5x5_and_averaged_whole():
    """The seed's code padded the last conv and averaged only a 5x5 corner of a 7x7 map; ours has no corner."""
    rows = {row["name"]: row for row in layer_table(build_model())}
    assert rows["features.8.0"]["output"] == (32, 5, 5)
    assert rows["classifier.1"]["output"] == (10, 1, 1)
    assert rows["classifier.1"]["receptive_field"] == 28  # the whole digit
    # Changing any pixel of the 5x5 map, including the last row and column, changes the output.
    model = build_model().eval()
    features = torch.randn(1, 32, 5, 5)
    base = model.classifier(features)
    corner = features.clone()
    corner[..., 4, 4] += 10
    assert not torch.allclose(model.classifier(corner), base)


def test_layer_table_parameters_add_up_to_the_total():
    model = build_model()
    assert sum(row["params"] for row in layer_table(model)) == count_parameters(model)
    assert [row["receptive_field"] for row in layer_table(model) if row["layer"] == "Conv2d"] == \
        [3, 5, 7, 7, 12, 16, 20, 20]


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model 'resnet'.*seed"):
        build_model("resnet")
    assert "seed" in MODELS
