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


def test_without_dropout_there_is_no_dropout_layer_and_the_weights_are_named_alike():
    without, with_dropout = build_model(dropout=0.0), build_model(dropout=0.1)
    assert not [m for m in without.modules() if isinstance(m, torch.nn.Dropout2d)]
    assert len([m for m in with_dropout.modules() if isinstance(m, torch.nn.Dropout2d)]) == 6
    assert without.state_dict().keys() == with_dropout.state_dict().keys()  # checkpoints load into either
    without.load_state_dict(with_dropout.state_dict())


def test_the_table_with_containers_puts_each_holder_before_its_layers_with_its_own_output():
    model = build_model(dropout=0.0)
    rows = layer_table(model, containers=True)
    assert [row for row in rows if not row.get("container")] == layer_table(model)
    by_name = {row["name"]: row for row in rows}
    names = [row["name"] for row in rows]
    assert names.index("features.0") < names.index("features.0.0")
    assert by_name["features.0"]["output"] == by_name["features.0.2"]["output"] == (16, 26, 26)
    assert by_name["features.0"]["params"] == 160 + 32 and by_name["features.0"]["receptive_field"] == 3
    assert by_name["features.5"]["output"] == (16, 11, 11) and by_name["features.3"]["output"] == (16, 22, 22)
