"""Looking inside a net: its convolutional blocks, their feature maps for one input, and its first filters.

Pure PyTorch, no Qt, so the app's inside view, the Train tab's snapshots (taken in the training thread) and
benchmarks share it. Nothing here knows the seed Net: the blocks are read from the model itself, with the
trainer's own `layer_table` (a forward pass with hooks), so any checkpoint's architecture is shown as it is.

A block starts at each convolution and takes in the layers after it (activation, normalization, pooling,
dropout) up to the next convolution, while their output is still a map (C x H x W, more than one pixel). Its
feature maps are the output of its last layer: what the next block reads.
"""

from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .data import normalize
from .model import layer_table

INPUT_SIZE = 28


@dataclass(frozen=True)
class Block:
    name: str                     # the module whose output its maps are (see output_name), e.g. "features.0"
    layers: tuple[str, ...]       # module names of its leaf layers, in order
    kinds: tuple[str, ...]        # their types: ("Conv2d", "ReLU", "BatchNorm2d", "Dropout2d")
    output: tuple[int, int, int]  # C, H, W of its feature maps
    receptive_field: int          # input pixels (per side) that one output pixel sees (0: not known)
    kernel: tuple[int, int]       # its convolution's kernel size
    groups: int = 1               # its convolution's groups: as many as channels for a depthwise one

    @property
    def channels(self) -> int:
        return self.output[0]

    def describe(self) -> str:
        """e.g. "Conv2d 3x3 → ReLU → BatchNorm2d → Dropout2d"."""
        kinds = list(self.kinds)
        if self.kernel[0]:  # (0, 0): not known (an intermediate value of a foreign model's graph)
            kinds[0] = f"{kinds[0]} {self.kernel[0]}x{self.kernel[1]}"
        if self.groups > 1:  # a separable convolution's first half (the tiny net's): say so, the maps show it
            kinds[0] += " depthwise, each channel filtered alone" if self.groups == self.channels else \
                f" in {self.groups} groups"
        return " → ".join(kinds)


@dataclass
class Activations:
    image: np.ndarray                 # 28 x 28, the [0, 1] input (before normalizing)
    maps: list[np.ndarray]            # per block: C x H x W float32
    probabilities: np.ndarray         # 10, float64

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())


def _is_conv(module: nn.Module) -> bool:
    return isinstance(module, nn.modules.conv._ConvNd)


def conv_blocks(model: nn.Module) -> list[Block]:
    """The model's convolutional blocks, from input to output (see the module's docstring)."""
    modules = dict(model.named_modules())
    groups: list[list[dict]] = []
    open_block = False
    with torch_threads(1):  # one 1x28x28 dummy pass: see torch_threads
        rows = layer_table(model, INPUT_SIZE)
    for row in rows:
        spatial = len(row["output"]) == 3 and row["output"][1] * row["output"][2] > 1
        if _is_conv(modules[row["name"]]) and spatial:
            groups.append([row])
            open_block = True
        elif open_block and spatial:
            groups[-1].append(row)
        else:
            open_block = False
    blocks = []
    for rows in groups:
        names = tuple(row["name"] for row in rows)
        kernel = modules[names[0]].kernel_size
        blocks.append(Block(
            name=output_name(names, modules), layers=names, kinds=tuple(row["layer"] for row in rows),
            output=tuple(rows[-1]["output"]), receptive_field=rows[-1]["receptive_field"],
            kernel=(kernel[0], kernel[-1]) if isinstance(kernel, tuple) else (kernel, kernel),
            groups=modules[names[0]].groups))
    return blocks


def output_name(names: tuple[str, ...], modules: dict[str, nn.Module]) -> str:
    """The name a block of layers is shown by: the module whose output its maps are. That is the module holding
    exactly these layers (a conv block's Sequential: "features.0"), else the last layer ("features.5", the
    pooling after a 1x1 convolution). So every view that names a block, and `trainer info`'s table of modules
    and their outputs, give one name the same shape."""
    parent = names[0].rpartition(".")[0]
    if parent and all(name.rpartition(".")[0] == parent for name in names):
        leaves = [name for name, module in modules[parent].named_modules() if not list(module.children())]
        if len(leaves) == len(names):
            return parent
    return names[-1]


@contextlib.contextmanager
def torch_threads(count: int):
    """Run torch with `count` threads on the calling thread for a moment.

    A single 28x28 image gains nothing from a second thread and loses a hand-off that, while training keeps the
    cores busy, was measured at 100-200 ms. PyTorch's OpenMP builds count threads per calling thread, so a
    training thread running meanwhile keeps its own count.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class FeatureProbe:
    """Reads every block's feature maps in one forward pass of the model, with hooks held only for that pass.

    The probe uses the model it is given (no copy), which must be on the CPU: in the app the inside view gives
    it a copy of its own, so hooks never fire in another thread's forward pass.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.blocks = conv_blocks(model)
        modules = dict(model.named_modules())
        self._outputs = [modules[block.layers[-1]] for block in self.blocks]

    def run(self, image: np.ndarray | torch.Tensor) -> Activations:
        """The maps and probabilities for one 28 x 28 image in [0, 1] (normalized here, as for training)."""
        pixels = torch.as_tensor(np.asarray(image, dtype=np.float32)).reshape(1, 1, INPUT_SIZE, INPUT_SIZE)
        captured: list[torch.Tensor | None] = [None] * len(self._outputs)
        hooks = [module.register_forward_hook(_capture(captured, index))
                 for index, module in enumerate(self._outputs)]
        was_training = self.model.training
        if was_training:  # (setting a mode walks every module: skipped when there is nothing to change)
            self.model.eval()
        try:
            with torch.inference_mode(), torch_threads(1):
                log_probs = self.model(normalize(pixels))
        finally:
            if was_training:
                self.model.train()
            for hook in hooks:
                hook.remove()
        maps = [tensor[0].float().cpu().numpy() for tensor in captured]
        probabilities = log_probs[0].double().exp().cpu().numpy()
        return Activations(pixels[0, 0].numpy(), maps, probabilities / probabilities.sum())


def _capture(captured: list, index: int):
    def hook(_module, _inputs, output):
        captured[index] = output.detach().clone()  # a later in-place layer must not change what we keep
    return hook


def first_filters(model: nn.Module) -> np.ndarray:
    """The first convolution's kernels as out_channels x kH x kW (summed over input channels: one for MNIST)."""
    for module in model.modules():
        if _is_conv(module):
            weight = module.weight.detach().float().cpu()
            return weight.sum(dim=1).numpy() if weight.dim() == 4 else weight.numpy()
    raise ValueError("the model has no convolution")


@dataclass
class Snapshot:
    """What the Train tab's filter view shows of one epoch: small numpy arrays, cheap to keep for every epoch."""
    epoch: int               # 0: the weights before training
    filters: np.ndarray      # the first layer's kernels, C x kH x kW
    image: np.ndarray        # the fixed digit, 28 x 28 in [0, 1]
    maps: np.ndarray         # the first block's feature maps of that digit, C x H x W
    block: str               # the first block's name and shape, for the view's caption
    seconds: float = 0.0     # how long taking it took (in the training thread, for the Train tab)


def take_snapshot(model: nn.Module, epoch: int, image: np.ndarray | torch.Tensor) -> Snapshot:
    """The first layer's filters and the first block's maps of `image`; a few milliseconds for the seed Net.

    A model on the CPU is read in place (forward passes in eval mode with hooks held for the pass: nothing in it
    changes, its mode is restored); one training on a GPU is copied to the CPU first."""
    started = time.perf_counter()
    on_cpu = all(parameter.device.type == "cpu" for parameter in model.parameters())
    probe = FeatureProbe(model if on_cpu else copy.deepcopy(model).cpu())
    activations = probe.run(image)
    block = probe.blocks[0]
    shape = "x".join(str(size) for size in block.output)
    return Snapshot(epoch, first_filters(model), activations.image, activations.maps[0],
                    f"{block.name} ({shape}, receptive field {block.receptive_field})", time.perf_counter() - started)
