"""The nets: the seed Net (17,504 parameters), the tiny net (4,896) and the wide net (101,488).

Every layer's output size and receptive field is tracked in the comments (28x28 input, as MNIST's), because
the design is all about reaching a receptive field that covers a digit with as few parameters as possible.
The three share one shape (two stages of three 3x3 convolutions with a max-pool between them, a 1x1 classifier
averaged over the last 5x5 map); they differ in width, and the tiny net splits its convolutions in two. Every view reads a model's layers from the model
itself (trainer.inspection), so none of them assumes this shape.
"""

from __future__ import annotations

import functools

import torch
from torch import nn


def conv_block(in_channels: int, out_channels: int, dropout: float) -> nn.Sequential:
    """3x3 conv, unpadded, then ReLU -> BatchNorm -> Dropout2d, in the seed's order.

    Without dropout there is no Dropout2d layer at all, so the layer table and the inside view do not show one
    that does nothing. Being last and weightless, its absence changes no weight's name: checkpoints load either way.
    """
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size=3), nn.ReLU(), nn.BatchNorm2d(out_channels)]
    if dropout:
        layers.append(nn.Dropout2d(dropout))
    return nn.Sequential(*layers)


class SeedNet(nn.Module):
    """The project's original net and the built-in model: 16-32 channels, ReLU before BatchNorm.

    Input (as every model's here): N x 1 x 28 x 28, normalized with MNIST's mean/std."""

    def __init__(self, dropout: float = 0.1):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(1, 16, dropout),   # 26x26, RF 3
            conv_block(16, 16, dropout),  # 24x24, RF 5
            conv_block(16, 32, dropout),  # 22x22, RF 7
            # Transition: squeeze channels before pooling so the second stage stays cheap.
            nn.Conv2d(32, 16, kernel_size=1),  # 22x22, RF 7
            nn.ReLU(),
            nn.MaxPool2d(2),                   # 11x11, RF 8
            conv_block(16, 16, dropout),  # 9x9, RF 12
            conv_block(16, 16, dropout),  # 7x7, RF 16
            # Unpadded, unlike the seed's code: its padded 7x7 map was then averaged only over the top-left
            # 5x5 window; its comments describe this 5x5 map averaged whole, which is what we build.
            conv_block(16, 32, dropout),  # 5x5, RF 20
        )
        self.classifier = nn.Sequential(
            # No bias: a per-class constant adds nothing the BatchNorm before it can't learn.
            nn.Conv2d(32, 10, kernel_size=1, bias=False),  # 5x5x10
            nn.AdaptiveAvgPool2d(1),  # global average over the whole 5x5 map: RF 28, the whole digit
            nn.Flatten(),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def bn_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 conv, unpadded and without bias (the BatchNorm after it has one), then BatchNorm -> ReLU.

    The smaller nets normalize before the ReLU: the BatchNorm's shift then moves the ReLU's threshold, which the
    seed gets from its convolutions' biases. Under 5,000 parameters, the biases' 2% is better spent on weights.
    """
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=3, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class StagedNet(nn.Module):
    """The seed's shape with other widths: three 3x3 blocks, a 1x1 transition and a 2x2 max-pool, three 3x3
    blocks, a 1x1 classifier averaged over the 5x5 map. `first` and `second` are each stage's block widths."""

    def __init__(self, first: tuple[int, int, int], transition: int, second: tuple[int, int, int]):
        super().__init__()
        a, b, c = first
        d, e, f = second
        self.features = nn.Sequential(
            bn_block(1, a),                                      # 26x26, RF 3
            bn_block(a, b),                                      # 24x24, RF 5
            bn_block(b, c),                                      # 22x22, RF 7
            nn.Conv2d(c, transition, kernel_size=1, bias=False),  # 22x22, RF 7: fewer channels before pooling
            nn.MaxPool2d(2),                                     # 11x11, RF 8
            bn_block(transition, d),                             # 9x9, RF 12
            bn_block(d, e),                                      # 7x7, RF 16
            bn_block(e, f),                                      # 5x5, RF 20
        )
        self.classifier = nn.Sequential(
            nn.Conv2d(f, 10, kernel_size=1, bias=False),  # 5x5x10
            nn.AdaptiveAvgPool2d(1),                      # RF 28: the whole digit
            nn.Flatten(),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def separable_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """A 3x3 convolution split in two, as MobileNet's: each channel filtered alone (3x3, unpadded), then mixed by
    a 1x1 convolution, then BatchNorm -> ReLU. 16 -> 26 channels costs 144 + 416 weights where one 3x3
    convolution costs 3,744: so, under 5,000 parameters, the tiny net can have 26 channels where a plain one
    has 8-12. (No ReLU between the two halves, as Xception found best.)"""
    return nn.Sequential(nn.Conv2d(in_channels, in_channels, kernel_size=3, groups=in_channels, bias=False),
                         nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU())


class TinyNet(nn.Module):
    """Under 5,000 parameters: the seed's shape with separable convolutions, 16-26 channels.

    A plain net of that size (the seed's shape with 8-12 channels, 4,784 parameters) underfit: 99.26% on the
    held-out validation images after 20 epochs of the default recipe, against 99.38% for this one on the same seed
    (docs/recipe.md, "Other architectures", has every run's figures). `dropout` is accepted and unused: every
    model is built with one (trainer.checkpoint).
    """

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.features = nn.Sequential(
            bn_block(1, 16),             # 26x26, RF 3
            separable_block(16, 26),     # 24x24, RF 5
            separable_block(26, 26),     # 22x22, RF 7
            nn.MaxPool2d(2),             # 11x11, RF 8
            separable_block(26, 26),     # 9x9, RF 12
            separable_block(26, 26),     # 7x7, RF 16
            separable_block(26, 26),     # 5x5, RF 20
        )
        self.classifier = nn.Sequential(
            nn.Conv2d(26, 10, kernel_size=1, bias=False),  # 5x5x10
            nn.AdaptiveAvgPool2d(1),                       # RF 28: the whole digit
            nn.Flatten(),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class WideNet(StagedNet):
    """32-64 channels: the seed's shape two to four times as wide, to see what six times the parameters buy."""

    def __init__(self, dropout: float = 0.0):
        super().__init__((32, 32, 64), 32, (48, 56, 64))


# Name -> class, so checkpoints can say which architecture they hold and new models can be added later.
MODELS: dict[str, type[nn.Module]] = {"seed": SeedNet, "tiny": TinyNet, "wide": WideNet}
DEFAULT_MODEL = "seed"


def build_model(name: str = DEFAULT_MODEL, **options) -> nn.Module:
    """A fresh, untrained model of the named architecture; `options` go to its constructor (e.g. dropout)."""
    try:
        return MODELS[name](**options)
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@functools.cache
def architecture_parameters(name: str) -> int:
    """The named architecture's trainable parameters, counted once, on the meta device: a count needs the layers'
    shapes, not their random start values (the Train tab's model choice counted all three as the window started,
    13 ms so)."""
    with torch.device("meta"):
        return count_parameters(build_model(name))


def layer_table(model: nn.Module, input_size: int = 28, containers: bool = False) -> list[dict]:
    """One row per leaf layer: output shape (C, H, W), trainable parameters and receptive field.

    Shapes come from a real forward pass (hooks on a dummy input), so the table can't drift from the code;
    the receptive field is derived from each layer's kernel size and stride. With `containers`, the modules
    that hold layers (a conv block's Sequential, say) get a row too, before their layers, with `"container":
    True`, their output and their layers' parameters: every module name any view shows is then in the table,
    with the shape of that module's own output.
    """
    rows: list[dict] = []
    outputs: dict[nn.Module, tuple] = {}
    hooks = []
    rf, jump = 1, 1

    def record(module: nn.Module, _inputs, output):
        nonlocal rf, jump
        if isinstance(module, nn.AdaptiveAvgPool2d):  # pools its whole input map
            kernel = stride = _inputs[0].shape[-1]
        else:
            kernel = getattr(module, "kernel_size", 1)
            stride = getattr(module, "stride", 1)
        kernel = kernel[0] if isinstance(kernel, tuple) else kernel
        stride = stride[0] if isinstance(stride, tuple) else stride
        rf += (kernel - 1) * jump
        jump *= stride
        rows.append({
            "layer": type(module).__name__,
            "name": names[module],
            "output": tuple(output.shape[1:]),
            "params": sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad),
            "receptive_field": rf,
        })

    def record_container(module: nn.Module, _inputs, output):
        if isinstance(output, torch.Tensor):
            outputs[module] = tuple(output.shape[1:])

    names = {m: n for n, m in model.named_modules()}
    for module in model.modules():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(record))
        elif containers and module is not model:
            hooks.append(module.register_forward_hook(record_container))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 1, input_size, input_size))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return _with_containers(model, rows, outputs) if containers else rows


def _with_containers(model: nn.Module, rows: list[dict], outputs: dict[nn.Module, tuple]) -> list[dict]:
    """`rows` with a row for each container that ran, put before its first layer; its receptive field is that
    of its last layer, the one whose output is its own."""
    by_name = {row["name"]: row for row in rows}
    table = []
    for name, module in model.named_modules():
        if name in by_name:
            table.append(by_name[name])
        elif module in outputs:
            inside = [row for row in rows if row["name"].startswith(name + ".")]
            table.append({"layer": type(module).__name__, "name": name, "output": outputs[module],
                          "params": count_parameters(module), "container": True,
                          "receptive_field": inside[-1]["receptive_field"] if inside else None})
    return table
