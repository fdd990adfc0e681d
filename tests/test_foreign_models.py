"""Models made elsewhere (trainer.foreign): pytorch/examples' MNIST Net exported as ONNX, TorchScript and
torch.export, read by the pad's Predictor, measured by the evaluation, shown by the feature-map probe and read by
`digitpad predict`; their input conventions; and files that are not such models."""

import json
import os
import pickle

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper
from PIL import Image

from digitpad.predict_command import main as predict
from digitpad.reading.predictor import Predictor
from trainer.conventions import Convention, ConventionError, file_sha256, remember, remembered
from trainer.data import as_split, normalize
from trainer.evaluation import evaluate
from trainer.foreign import ForeignError, ForeignNet, detect_format, load_foreign, onnx_convention
from trainer.foreign_maps import ForeignProbe

from .examples_net import Net

FORMATS = ("onnx", "torchscript", "export")
EXAMPLES = Convention("mnist", "bright")  # pytorch/examples' mnist/main.py


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_pad_reads_test_digits_right_with_each_format(examples_models, mnist, fmt):
    predictor = Predictor.load_foreign(examples_models[fmt], EXAMPLES)
    assert detect_format(examples_models[fmt]) == fmt and predictor.is_foreign
    assert predictor.model.outputs == "log-probabilities"  # its log_softmax, recognised on the check pass
    _, test = mnist
    pictures = test.images[:200, 0].numpy()
    rows = predictor.probabilities(pictures)
    assert rows.sum(axis=1) == pytest.approx(np.ones(200), abs=1e-9)
    # The same numbers as the PyTorch net it was exported from, through the reader's own scoring.
    with torch.inference_mode():
        expected = examples_models["net"](normalize(test.images[:200])).exp().double().numpy()
    assert np.abs(rows - expected).max() < 1e-4
    read = [predictor.read_field(picture).digits[0].digit for picture in pictures[:50]]
    assert np.mean(np.array(read) == test.labels[:50].numpy()) >= 0.9
    assert "1,199,88" in predictor.description() and "MNIST-normalised" in predictor.description()


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_evaluation_measures_a_foreign_model_through_the_same_scoring(examples_models, mnist, fmt):
    test = as_split(mnist[1].images[:2000], mnist[1].labels[:2000])  # 2,000: a 1.2M-parameter net on a loaded core
    model = load_foreign(examples_models[fmt], EXAMPLES)
    result = evaluate(model.to(memory_format=torch.channels_last), test)  # as the Evaluate tab's worker does
    assert result.accuracy > 0.9
    reference = evaluate(examples_models["net"], test)
    assert result.accuracy == pytest.approx(reference.accuracy, abs=2e-4)


def test_a_wrong_convention_reads_worse_and_each_convention_feeds_what_it_says(examples_models, mnist):
    test = as_split(mnist[1].images[:1000], mnist[1].labels[:1000])
    right = evaluate(load_foreign(examples_models["torchscript"], EXAMPLES), test).accuracy
    inverted = evaluate(load_foreign(examples_models["torchscript"], Convention("mnist", "dark")), test).accuracy
    assert inverted < right - 0.3
    model = load_foreign(examples_models["torchscript"], Convention("symmetric", "dark"))
    blank = normalize(torch.zeros(1, 1, 28, 28))  # no ink: dark ink on bright paper is all 1, then 2x - 1 = 1
    assert model.to_own_input(blank) == pytest.approx(torch.ones(1, 1, 28, 28), abs=1e-6)
    model.convention = Convention("unit", "bright")
    assert model.to_own_input(normalize(torch.full((1, 1, 28, 28), 0.25))) == pytest.approx(
        torch.full((1, 1, 28, 28), 0.25), abs=1e-6)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_probe_shows_each_formats_maps(examples_models, mnist, fmt):
    probe = ForeignProbe(load_foreign(examples_models[fmt], EXAMPLES))
    _, test = mnist
    activations = probe.run(test.images[0, 0].numpy())
    assert activations.digit == int(test.labels[0])
    shapes = [block.output for block in probe.blocks]
    if fmt == "onnx":  # every 4-D value the graph computes: conv, relu, conv, relu, max-pool
        assert shapes == [(32, 26, 26)] * 2 + [(64, 24, 24)] * 2 + [(64, 12, 12)]
        assert [block.kinds[0] for block in probe.blocks] == ["Conv", "Relu", "Conv", "Relu", "MaxPool"]
    else:  # every convolution, named as in the net
        assert shapes == [(32, 26, 26), (64, 24, 24)] and [b.name for b in probe.blocks] == ["conv1", "conv2"]
        assert probe.blocks[0].describe() == "Conv2d 3x3"
        net = examples_models["net"]
        with torch.inference_mode():
            first = net.conv1(normalize(test.images[:1]))[0].numpy()
        assert np.abs(activations.maps[0] - first).max() < 1e-4
    assert [m.shape for m in activations.maps] == shapes and probe.note == ""


def test_probabilities_and_logits_are_both_turned_into_probabilities(tmp_path):
    torch.manual_seed(0)
    net = Net().eval()
    logits = torch.nn.Sequential(*[module for module in (net.conv1, torch.nn.ReLU(), torch.nn.Flatten(),
                                                          torch.nn.Linear(32 * 26 * 26, 10))])
    for name, tail in (("logits", torch.nn.Identity()), ("probabilities", torch.nn.Softmax(dim=1))):
        path = tmp_path / f"{name}.pt"
        torch.jit.save(torch.jit.script(torch.nn.Sequential(logits, tail).eval()), str(path))
        model = load_foreign(path, Convention("unit", "bright"))
        assert model.outputs == name
        x = normalize(torch.rand(4, 1, 28, 28))
        with torch.inference_mode():
            expected = torch.log_softmax(logits(model.to_own_input(x)), dim=1)
            assert model(x) == pytest.approx(expected, abs=1e-4)


def test_the_choice_is_remembered_by_the_files_contents(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_CONVENTIONS", str(tmp_path / "c.json"))
    file = tmp_path / "model.bin"
    file.write_bytes(b"weights")
    digest = file_sha256(file)
    assert remembered(digest) is None
    remember(digest, Convention("symmetric", "dark"), file.name)
    moved = tmp_path / "renamed.bin"
    file.rename(moved)
    assert remembered(file_sha256(moved)) == Convention("symmetric", "dark")
    moved.write_bytes(b"other weights")
    assert remembered(file_sha256(moved)) is None
    assert json.loads((tmp_path / "c.json").read_text())[digest]["file"] == "model.bin"
    with pytest.raises(ConventionError, match="unit, mnist, symmetric"):
        Convention("0-255", "bright")


def test_a_damaged_record_is_asked_again_and_kept_aside_not_written_over(tmp_path, monkeypatch):
    record = tmp_path / "c.json"
    monkeypatch.setenv("DIGITPAD_CONVENTIONS", str(record))
    record.write_text(json.dumps({"a" * 64: {"input_range": ["mnist"], "ink": "bright"},  # edited by hand
                                  "b" * 64: {"input_range": "unit", "ink": 3}}))
    assert remembered("a" * 64) is None and remembered("b" * 64) is None  # asked again, no TypeError
    record.write_text('{"' + "c" * 64 + '": {"input_range": "unit", "in')  # truncated
    assert remembered("c" * 64) is None
    assert not record.exists() and (tmp_path / "c.json.bad").read_text().startswith('{"ccc')
    remember("d" * 64, Convention("unit", "dark"))
    assert remembered("d" * 64) == Convention("unit", "dark") and (tmp_path / "c.json.bad").exists()


@pytest.mark.slow
def test_digitpads_own_export_names_its_convention(tmp_path, seed, fake_dir, monkeypatch):
    from trainer.data import load_test_split
    from trainer.export import export_onnx

    import onnxruntime

    path = export_onnx(seed, tmp_path / "seed.onnx", load_test_split(fake_dir, download=False).images[:16]).path
    sessions, make = [], onnxruntime.InferenceSession
    monkeypatch.setattr(onnxruntime, "InferenceSession", lambda *a, **k: sessions.append(a[0]) or make(*a, **k))
    assert onnx_convention(path) == Convention("mnist", "bright")
    predictor = Predictor.load_foreign(path, onnx_convention(path))
    assert len(sessions) == 1  # the metadata and the model read through one session, not one each
    path.write_bytes(path.read_bytes())  # the same bytes, written again: read afresh
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))  # on coarse clocks too
    assert Predictor.load_foreign(path, onnx_convention(path)) and len(sessions) == 2
    builtin_rows = Predictor(seed, {}, path).probabilities(np.random.default_rng(0).random((3, 28, 28)))
    assert np.abs(predictor.probabilities(np.random.default_rng(0).random((3, 28, 28))) - builtin_rows).max() < 1e-4
    # The trainer commands take digitpad's checkpoints only, and say so of a model file, naming what reads it.
    from trainer.checkpoint import CheckpointError, load_checkpoint

    with pytest.raises(CheckpointError, match=r"is an ONNX model made elsewhere, not a digitpad checkpoint\. The "
                                              r"window reads and measures it"):
        load_checkpoint(path)


def test_digitpad_predict_reads_with_an_onnx_model_and_says_what_to_pass(examples_models, mnist, tmp_path,
                                                                         capsys):
    _, test = mnist
    image = tmp_path / "seven.png"
    index = int(np.flatnonzero(test.labels.numpy() == 7)[0])
    Image.fromarray((255 - test.images[index, 0].numpy() * 255).astype(np.uint8)).resize((112, 112)).save(image)
    model = str(examples_models["onnx"])
    assert predict([str(image), "--model", model]) == 1
    error = capsys.readouterr().err
    assert "--input-range {unit,mnist,symmetric}" in error and "--ink {bright,dark}" in error
    assert predict([str(image), "--model", model, "--input-range", "mnist", "--ink", "bright", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["digit"] == 7 and entry["number"] == "7"
    remember(file_sha256(model), EXAMPLES, "examples-net.onnx")  # as the window does, once asked
    assert predict([str(image), "--model", model]) == 0
    assert capsys.readouterr().out.startswith(f"{image}: 7 (")


def _onnx_file(path, inputs, outputs, nodes):
    graph = helper.make_graph(nodes, "foreign", inputs, outputs)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    return path


def bad_files(folder):
    """Files that are not models digitpad can read, each with the words its message must hold."""
    picture = [1, 1, 28, 28]
    two_inputs = _onnx_file(folder / "two-inputs.onnx", [helper.make_tensor_value_info(n, TensorProto.FLOAT, picture)
                                                         for n in "ab"],
                            [helper.make_tensor_value_info("c", TensorProto.FLOAT, picture)],
                            [helper.make_node("Add", ["a", "b"], ["c"])])
    many = _onnx_file(folder / "many-outputs.onnx", [helper.make_tensor_value_info("x", TensorProto.FLOAT, picture)],
                      [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, picture) for i in range(1000)],
                      [helper.make_node("Identity", ["x"], [f"y{i}"]) for i in range(1000)])
    five = folder / "five-scores.pt"
    torch.jit.save(torch.jit.script(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 5))), str(five))
    truncated = folder / "truncated.pt"
    torch.jit.save(torch.jit.script(Net().eval()), str(folder / "whole.pt"))
    truncated.write_bytes((folder / "whole.pt").read_bytes()[:300_000])
    crafted = folder / "crafted.pt"
    crafted.write_bytes(pickle.dumps(_Exploit(folder / "pwned")))
    text = folder / "notes.onnx"
    text.write_text("not a model at all\n")
    return [(two_inputs, "takes 2 inputs"), (many, "gives 1000 outputs"), (five, "not 1 x 10"),
            (truncated, "truncated"), (crafted, ""), (text, "not an ONNX model")]


class _Exploit:
    """A pickle that would write a file if it were ever unpickled as Python."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


def test_bad_and_foreign_files_get_a_clear_message(tmp_path):
    from trainer.checkpoint import CheckpointError

    for path, words in bad_files(tmp_path):
        with pytest.raises((ForeignError, CheckpointError)) as caught:
            if detect_format(path) == "checkpoint":
                Predictor.load(path)
            else:
                Predictor.load_foreign(path, EXAMPLES)
        assert words in str(caught.value), (path.name, str(caught.value))
    assert not (tmp_path / "pwned").exists()  # the crafted pickle was never run
    state_dict = tmp_path / "mnist_cnn.pt"  # what pytorch/examples' --save-model writes
    torch.save(Net().state_dict(), state_dict)
    with pytest.raises(CheckpointError, match="a bare state_dict, as pytorch/examples saves, holds no architecture"):
        Predictor.load(state_dict)


def crafted_export(good, folder):
    """`good` (a torch.export archive) with its first weight swapped for a pickle that would write a file."""
    import zipfile

    crafted = folder / "crafted.pt2"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(crafted, "w") as target:
        [config_name] = [name for name in source.namelist() if name.endswith("model_weights_config.json")]
        config = json.loads(source.read(config_name))
        first = next(iter(config["config"].values()))
        first["use_pickle"] = True  # torch.export.load then reads it with torch.load(weights_only=False)
        for name in source.namelist():
            data = source.read(name)
            if name == config_name:
                data = json.dumps(config).encode()
            elif name.endswith(f"data/weights/{first['path_name']}"):
                data = pickle.dumps(_Exploit(folder / "pwned"))
            target.writestr(name, data)
    return crafted


def test_a_crafted_torch_export_archive_never_runs_its_pickle(examples_models, tmp_path):
    crafted = crafted_export(examples_models["export"], tmp_path)
    assert detect_format(crafted) == "export"
    with pytest.raises(ForeignError, match="could not be read as a torch.export file"):
        load_foreign(crafted, EXAMPLES)
    assert not (tmp_path / "pwned").exists()
    opaque = tmp_path / "opaque.pt2"
    import zipfile
    with zipfile.ZipFile(opaque, "w") as archive:
        archive.writestr("m/archive_format", "pt2")
        archive.writestr("m/data/constants/opaque_obj_0", pickle.dumps(_Exploit(tmp_path / "pwned")))
    with pytest.raises(ForeignError, match="holds Python objects"):
        load_foreign(opaque, EXAMPLES)
    assert not (tmp_path / "pwned").exists()


def test_a_foreign_net_copies_for_other_threads_and_shares_its_onnx_session(examples_models):
    import copy

    model = load_foreign(examples_models["onnx"], EXAMPLES)
    twin = copy.deepcopy(model)
    assert isinstance(twin, ForeignNet) and twin._onnx is model._onnx
    x = normalize(torch.rand(3, 1, 28, 28))
    assert twin(x) == pytest.approx(model(x))


def test_an_onnx_model_with_a_batch_of_one_is_run_picture_by_picture(tmp_path):
    weights = np.random.default_rng(0).normal(size=(784, 10)).astype(np.float32)
    path = _onnx_file(tmp_path / "one-at-a-time.onnx",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 28, 28])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                      [helper.make_node("Flatten", ["x"], ["flat"]), helper.make_node("MatMul", ["flat", "w"], ["y"])])
    proto = onnx.load(str(path))
    proto.graph.initializer.append(onnx.numpy_helper.from_array(weights, "w"))
    onnx.save(proto, str(path))
    model = load_foreign(path, Convention("unit", "bright"))
    assert model.single and model.outputs == "logits" and model.parameter_count == 7840
    pictures = torch.rand(5, 1, 28, 28)
    with torch.inference_mode():
        expected = torch.log_softmax(pictures.reshape(5, 784) @ torch.from_numpy(weights), dim=1)
        assert model(normalize(pictures)) == pytest.approx(expected, abs=1e-4)
    assert ForeignProbe(model).note == "Its ONNX graph names no 4-D intermediate values (no feature maps to show)."


def test_without_the_onnx_package_the_view_says_what_to_install(examples_models, monkeypatch):
    import sys

    model = load_foreign(examples_models["onnx"], EXAMPLES)  # ONNX Runtime alone reads it
    monkeypatch.setitem(sys.modules, "onnx", None)
    probe = ForeignProbe(model)
    assert probe.blocks == [] and "pip install onnx" in probe.note
    assert probe.run(np.zeros((28, 28), np.float32)).probabilities.shape == (10,)
