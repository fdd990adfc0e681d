"""Models made elsewhere: an ONNX file (run by ONNX Runtime), a TorchScript file (`torch.jit.save`) or a
`torch.export` program (`torch.export.save`, .pt2), of any architecture that maps a 1 x 28 x 28 picture to ten
scores.

`load_foreign` checks the file and wraps it as a `ForeignNet`: a torch module that takes what digitpad's own nets
take (MNIST-normalised pictures, bright ink on dark) and gives what they give (ten log-probabilities), so the pad,
`digitpad predict`, the Evaluate tab and the saliency map score it with the very code that scores digitpad's nets.
Inside, the picture is turned into the model's own convention (trainer.conventions) and its scores into
log-probabilities: rows that are all non-negative and sum to 1 were probabilities (their log is taken), anything
else is treated as logits or log-probabilities, and a log-softmax makes either into log-probabilities (it leaves
log-probabilities as they are). Which of the two a model gives is decided once, on the check pass at load time.

A file is never unpickled as Python: a TorchScript archive is read by TorchScript's own unpickler, which rebuilds
only tensors and TorchScript types; a torch.export archive would unpickle pickled weights and Python objects
(`torch.load(weights_only=False)`, `pickle.loads`), so one that holds Python objects is refused and the rest is
read with every torch.load forced to weights only; a torch.save pickle is left to trainer.checkpoint (weights
only).
"""

from __future__ import annotations

import functools
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .conventions import Convention
from .data import MNIST_MEAN, MNIST_STD

FORMATS = {"onnx": "ONNX", "torchscript": "TorchScript", "export": "torch.export"}
A_FORMAT = {"onnx": "an ONNX", "torchscript": "a TorchScript", "export": "a torch.export"}
ONNX_INSTALL = "pip install onnxruntime"
SUM_TOLERANCE = 1e-3


class ForeignError(Exception):
    """The file is not a model digitpad can read with; the message says what was wrong and what to do."""


def detect_format(path: str | os.PathLike) -> str:
    """"onnx", "torchscript", "export", or "checkpoint" (anything else: trainer.checkpoint says what it is)."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (OSError, zipfile.BadZipFile):
            return "checkpoint"
        if any("/code/__torch__" in name or name.startswith("code/__torch__") for name in names):
            return "torchscript"
        if any(name.endswith(("archive_format", "models/model.json")) for name in names):
            return "export"
        return "checkpoint"
    if path.suffix.lower() == ".onnx":
        return "onnx"
    try:
        with open(path, "rb") as file:
            first = file.read(1)
    except OSError:
        return "checkpoint"
    # An ONNX ModelProto starts with its ir_version field (protobuf tag 0x08); a pickle with 0x80.
    return "onnx" if first == b"\x08" else "checkpoint"


class _Shared:
    """An ONNX Runtime session, shared by every copy of the model (its run is thread-safe; it cannot be copied)."""

    def __init__(self, session):
        self.session = session

    def __deepcopy__(self, memo):
        return self


class ForeignNet(nn.Module):
    """A foreign model seen as digitpad's nets are: MNIST-normalised, bright-ink N x 1 x 28 x 28 in, N x 10
    log-probabilities out. `format` is a FORMATS key; `has_gradients` says whether saliency can be computed."""

    def __init__(self, path: Path, fmt: str, convention: Convention, inner: nn.Module | None = None,
                 session=None, parameters: int | None = None):
        super().__init__()
        self.path, self.format, self.convention = path, fmt, convention
        self.inner = inner
        self._onnx = _Shared(session) if session is not None else None
        self.has_gradients = inner is not None
        self.parameter_count = parameters
        self.outputs = "log-probabilities or logits"  # settled by check()
        self.single = False  # an ONNX model whose batch dimension is fixed at 1: run picture by picture

    def train(self, mode: bool = True):
        # The model stays as it was saved (torch.export programs refuse train()/eval(); a loaded TorchScript
        # model is put in eval mode once, at load time).
        self.training = mode
        return self

    def to_own_input(self, x: torch.Tensor) -> torch.Tensor:
        """digitpad's input (MNIST-normalised, bright ink) in the model's own convention."""
        pixels = x * MNIST_STD + MNIST_MEAN
        if self.convention.ink == "dark":
            pixels = 1 - pixels
        if self.convention.input_range == "mnist":
            return (pixels - MNIST_MEAN) / MNIST_STD
        if self.convention.input_range == "symmetric":
            return pixels * 2 - 1
        return pixels

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """The model's own output for its own input."""
        if self._onnx is None:
            return self.inner(x)
        session = self._onnx.session
        name = session.get_inputs()[0].name
        pictures = np.ascontiguousarray(x.detach().float().cpu().numpy())
        blocks = [pictures[i:i + 1] for i in range(len(pictures))] if self.single else [pictures]
        return torch.from_numpy(np.concatenate([session.run(None, {name: block})[0] for block in blocks]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.log_probabilities(self.scores(self.to_own_input(x)))

    def log_probabilities(self, scores: torch.Tensor) -> torch.Tensor:
        """The model's own scores as log-probabilities (see the module's docstring)."""
        scores = scores.float()
        if self.outputs == "probabilities":
            scores = scores.clamp_min(1e-12).log()
        return F.log_softmax(scores, dim=1)

    def describe(self) -> str:
        return f"{FORMATS[self.format]} model, its input {self.convention.describe()}, its output {self.outputs}"

    def check(self) -> None:
        """Run the model on blank and random pictures; ForeignError unless it gives N x 10 finite scores."""
        # A generator of its own: seeding torch's global one here would change a training run's random stream.
        batches = [torch.zeros(1, 1, 28, 28), torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))]
        outputs = []
        for pictures in batches:
            try:
                with torch.inference_mode():
                    output = self.scores(self.to_own_input((pictures - MNIST_MEAN) / MNIST_STD))
            except Exception as error:  # whatever the foreign code raises, the model in use stays
                if len(pictures) > 1 and self._onnx is not None and not self.single:
                    self.single = True
                    return self.check()
                raise ForeignError(f"it failed on a 1 x 28 x 28 picture: {type(error).__name__}: "
                                   f"{_first_line(error)}") from None
            if not isinstance(output, torch.Tensor):
                raise ForeignError(f"it returns {type(output).__name__}, not one tensor of ten scores per picture")
            if tuple(output.shape) != (len(pictures), 10):
                raise ForeignError(f"it maps {len(pictures)} picture(s) of 1 x 28 x 28 to {tuple(output.shape)}, "
                                   f"not {len(pictures)} x 10: it is not a digit classifier digitpad can use")
            if not torch.isfinite(output).all():
                raise ForeignError("its scores for a blank picture are not finite numbers (NaN or infinite)")
            outputs.append(output.double())
        rows = torch.cat(outputs)
        if (rows >= 0).all() and ((rows.sum(dim=1) - 1).abs() < SUM_TOLERANCE).all():
            self.outputs = "probabilities"
        elif (rows <= 1e-6).all() and (rows.logsumexp(dim=1).abs() < SUM_TOLERANCE).all():
            self.outputs = "log-probabilities"
        else:
            self.outputs = "logits"


def is_foreign(model: nn.Module | None) -> bool:
    return isinstance(model, ForeignNet)


FEATURES_NOTE = ("needs the model's features inside it, which digitpad reads only from its own checkpoints, not "
                 "from a model opened from an ONNX, TorchScript or torch.export file")


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else ""


def load_foreign(path: str | os.PathLike, convention: Convention, fmt: str | None = None) -> ForeignNet:
    """The model in the file, checked (ForeignError saying why it cannot be used)."""
    path = Path(path)
    if not path.is_file():
        raise ForeignError(f"{path} is not a file")
    fmt = fmt or detect_format(path)
    if fmt == "onnx":
        model = _load_onnx(path, convention)
    elif fmt in ("torchscript", "export"):
        model = _load_torch(path, convention, fmt)
    else:
        raise ForeignError(f"{path.name} is neither an ONNX, a TorchScript nor a torch.export file")
    try:
        model.check()
    except ForeignError as error:
        raise ForeignError(f"{path.name} cannot be used: {error}") from None
    return model


def _load_torch(path: Path, convention: Convention, fmt: str) -> ForeignNet:
    try:
        if fmt == "torchscript":
            with warnings.catch_warnings():  # torch's notice that TorchScript is deprecated is for its writers,
                warnings.simplefilter("ignore", FutureWarning)  # not for someone reading digits with their file
                inner = torch.jit.load(str(path), map_location="cpu").eval()
        else:
            inner = _load_export(path)
    except Exception as error:  # a truncated or crafted archive: its loader's own words
        raise ForeignError(f"{path.name} could not be read as a {FORMATS[fmt]} file ({type(error).__name__}: "
                           f"{_first_line(error)}); is it whole?") from None
    parameters = sum(p.numel() for p in inner.parameters())
    return ForeignNet(path, fmt, convention, inner=inner, parameters=parameters)


def _load_export(path: Path) -> nn.Module:
    """A torch.export program's module, read without running any Python the file may hold (see the docstring)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if any(Path(name).name.startswith(("custom_obj_", "opaque_obj_")) for name in names):
        raise ForeignError(f"{path.name} holds Python objects (pickled), which digitpad does not unpickle: a file "
                           f"can run code that way. Export a model made of tensors and torch operations only.")
    previous = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"  # read by every torch.load, inside torch.export.load too
    try:
        return torch.export.load(str(path)).module()
    finally:
        if previous is None:
            del os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"]
        else:
            os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = previous


def require_onnxruntime() -> None:
    """ForeignError saying what to install when ONNX Runtime is missing."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ForeignError(f"opening an ONNX model needs ONNX Runtime, which is not installed here: "
                           f"{ONNX_INSTALL}") from None


def one_thread():
    """ONNX Runtime's options for one thread: a few 28x28 pictures gain nothing from more, and on a busy machine
    a second thread measured 17 ms a reading against 8 (as trainer.inspection.torch_threads says for torch)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return options


def _load_onnx(path: Path, convention: Convention) -> ForeignNet:
    require_onnxruntime()
    try:
        session = _onnx_session(path)
    except Exception as error:
        raise ForeignError(f"{path.name} is not an ONNX model ONNX Runtime can run ({_first_line(error)})") from None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise ForeignError(f"{path.name} takes {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                           f"digitpad gives a model one: the picture, N x 1 x 28 x 28")
    if len(outputs) != 1:
        raise ForeignError(f"{path.name} gives {len(outputs)} outputs; digitpad reads one: ten scores a picture")
    shape, kind = inputs[0].shape, inputs[0].type
    if kind != "tensor(float)":
        raise ForeignError(f"{path.name}'s input is {kind}; digitpad gives float32 pictures (tensor(float))")
    if len(shape) != 4 or any(isinstance(size, int) and size != want for size, want in zip(shape[1:], (1, 28, 28))):
        raise ForeignError(f"{path.name}'s input has the shape {list(shape)}; digitpad gives N x 1 x 28 x 28")
    model = ForeignNet(path, "onnx", convention, session=session, parameters=onnx_parameter_count(path))
    model.single = isinstance(shape[0], int) and shape[0] == 1
    if isinstance(shape[0], int) and shape[0] > 1:
        raise ForeignError(f"{path.name} takes exactly {shape[0]} pictures at a time; digitpad needs a batch "
                           f"dimension of 1 or any size")
    return model


def _onnx_session(path: Path):
    """ONNX Runtime's session for the file. Opening one reads its metadata (onnx_convention) and then its model
    (_load_onnx): one session serves both, where a second cost as long again (the longer, the larger the model);
    a file changed since is read afresh."""
    stat = path.stat()  # a file replaced by another is another inode, or a later change time (which no copy sets)
    return _session_of(str(path.resolve()), stat.st_ino, stat.st_ctime_ns, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _session_of(path: str, inode: int, changed_ns: int, modified_ns: int, size: int):
    import onnxruntime

    return onnxruntime.InferenceSession(path, one_thread(), providers=["CPUExecutionProvider"])


def onnx_parameter_count(path: Path) -> int | None:
    """The weights' count (the graph's initializers), or None without the onnx package."""
    try:
        import onnx
        proto = onnx.load(str(path), load_external_data=False)
    except Exception:
        return None
    return int(sum(np.prod(tensor.dims) for tensor in proto.graph.initializer))


def onnx_convention(path: str | os.PathLike) -> Convention | None:
    """The convention written into a digitpad export's metadata (trainer.export), else None."""
    try:
        fields = _onnx_session(Path(path)).get_modelmeta().custom_metadata_map
    except Exception:
        return None
    if "input_range" in fields and "ink" in fields:
        try:
            return Convention(fields["input_range"], fields["ink"])
        except ValueError:
            return None
    if fields.get("normalization_mean") == str(MNIST_MEAN) and fields.get("normalization_std") == str(MNIST_STD):
        return Convention("mnist", "bright")  # digitpad's exports before the two fields were written
    return None

