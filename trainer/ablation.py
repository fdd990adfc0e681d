"""Switching channels off: a channel's output set to zero by a forward hook, to see what the net loses without it.

Pure PyTorch, no Qt: the inside view's tile clicks, the Evaluate tab, "what it costs" and `trainer eval --ablate`
all use it. Nothing here knows the seed Net: what can be switched off is read from the model, as the inside view
reads it (trainer.inspection's blocks), plus any other module whose output is a map (C x H x W).

A block is hooked at its last layer, the one whose output the inside view's tiles show (the probe's capture hook,
added later for its pass, then sees the zeros); any other module is hooked itself. A hook returns a new tensor
(`index_fill`), never changes the layer's own output in place, so gradients (the saliency map) pass through it.

    switch = ChannelSwitch.for_model(model)
    switch.set_off("features.2", [5, 7])     # or switch.toggle("features.2", 5)
    hooks = switch.attach(copy)               # the hooks read the switch live: later toggles apply at once
    hooks.remove()
    with zeroed(model, switch.hooked()):      # a frozen set of channels for a worker or the command line
        ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from .data import LabelledImages
from .evaluation import evaluate
from .inspection import conv_blocks, torch_threads
from .model import layer_table


class AblationError(ValueError):
    """A channel spec that names no module or channel of the model; the message lists the valid ones."""


@dataclass(frozen=True)
class Target:
    name: str       # as people name it: a block ("features.2") or any module with a map output
    module: str     # the module whose output is zeroed (a block's last layer)
    channels: int
    block: bool = False  # one of the inside view's blocks (a row of tiles)


def targets(model: nn.Module) -> dict[str, Target]:
    """Every module whose channels can be switched off, by name: the blocks first (in order), then every other
    module with a C x H x W output (a layer inside a block, say)."""
    found = {block.name: Target(block.name, block.layers[-1], block.channels, True) for block in conv_blocks(model)}
    with torch_threads(1):
        rows = layer_table(model, containers=True)
    for row in rows:
        if len(row["output"]) == 3 and row["name"] not in found:
            found[row["name"]] = Target(row["name"], row["name"], row["output"][0])
    return found


# Above any layer's channel count (the wide net's largest has 64): a bigger number is refused as it is read.
MAX_CHANNEL = 65536


def parse_spec(text: str) -> tuple[str, list[int]]:
    """"features.2:5,7" (ranges too: "features.2:0-3,9") -> ("features.2", [5, 7]). AblationError when malformed."""
    name, colon, channels = text.strip().rpartition(":")
    example = "e.g. features.2:5,7 (module name, a colon, channel numbers or ranges like 0-3)"
    if not colon or not name.strip() or not channels.strip():
        raise AblationError(f"cannot read {text!r} as channels to switch off: {example}")
    numbers: list[int] = []
    for part in channels.split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise AblationError(f"{part.strip()!r} in {text!r} is not a channel number: {example}") from None
        if last < first:
            raise AblationError(f"the range {part.strip()!r} in {text!r} runs backwards: {example}")
        if last >= MAX_CHANNEL:  # before listing the range: 0-99999999999 would fill the memory first
            raise AblationError(f"no layer has a channel {last}: {part.strip()!r} in {text!r} is far beyond any "
                                f"layer's channels ({example})")
        numbers.extend(range(first, last + 1))
    return name.strip(), numbers


def _valid_list(found: dict[str, Target]) -> str:
    """The blocks with their channels, then how many other layers (`trainer info` names them all)."""
    shown = [f"{t.name} (channels 0-{t.channels - 1})" for t in found.values() if t.block]
    others = len(found) - len(shown)
    return ", ".join(shown) + (f"; or any of {others} layers inside them (`trainer info` lists them)" if others else "")


def resolve(specs: Iterable[str], model: nn.Module) -> ChannelSwitch:
    """A switch with the channels that `specs` ("module:channels", one module each, repeatable) name switched
    off. AblationError, listing the valid modules or channels, for a name or a channel the model has not."""
    switch = ChannelSwitch.for_model(model)
    for spec in specs:
        name, channels = parse_spec(spec)
        target = switch.targets.get(name)
        if target is None:
            raise AblationError(f"the model has no module {name!r} whose channels can be switched off; "
                                f"valid: {_valid_list(switch.targets)}")
        bad = sorted({c for c in channels if not 0 <= c < target.channels})
        if bad:
            raise AblationError(f"{name} has {target.channels} channels, numbered 0 to {target.channels - 1}: "
                                f"no channel {', '.join(map(str, bad))}")
        switch.set_off(name, sorted(set(switch.off(name)) | set(channels)))
    return switch


class Hooks:
    """The forward hooks one attach registered; `remove()` takes them all off (also as a context manager)."""

    def __init__(self, handles: list):
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _zero_hook(channels: Callable[[], torch.Tensor | None]):
    def hook(_module, _inputs, output):
        index = channels()
        if index is None or not isinstance(output, torch.Tensor) or output.dim() < 2:
            return None  # nothing off here: the layer's output goes on untouched, at no cost
        return output.index_fill(1, index.to(output.device), 0.0)
    return hook


def zeroed(model: nn.Module, off: dict[str, Iterable[int]]) -> Hooks:
    """Hooks that zero these channels of these modules (names as `named_modules` gives them, e.g. a block's last
    layer: ChannelSwitch.hooked() gives them). Use as `with zeroed(model, off): ...` or keep and `remove()`."""
    modules = dict(model.named_modules())
    handles = []
    for name, channels in off.items():
        index = torch.tensor(sorted(set(channels)), dtype=torch.long)
        if len(index):
            handles.append(modules[name].register_forward_hook(_zero_hook(lambda index=index: index)))
    return Hooks(handles)


class ChannelSwitch:
    """Which channels of one model are switched off. Hooks attached to the model, or to any copy of it, read the
    switch on every forward pass, so a toggle applies at once without re-attaching anything."""

    def __init__(self, found: dict[str, Target]):
        self.targets = found
        self._off: dict[str, tuple[int, ...]] = {}
        self._index: dict[str, torch.Tensor] = {}  # by hooked module: what the hooks read

    @classmethod
    def for_model(cls, model: nn.Module) -> ChannelSwitch:
        return cls(targets(model))

    # ----- the state ----------------------------------------------------------------------------------------
    def off(self, name: str) -> tuple[int, ...]:
        return self._off.get(name, ())

    def set_off(self, name: str, channels: Iterable[int]) -> None:
        target = self.targets[name]
        chosen = tuple(sorted({int(c) for c in channels if 0 <= int(c) < target.channels}))
        if chosen:
            self._off[name] = chosen
        else:
            self._off.pop(name, None)
        self._reindex()

    def toggle(self, name: str, channel: int) -> bool:
        """Switch a channel off, or back on; True when it is now off."""
        now = set(self.off(name)) ^ {channel}
        self.set_off(name, now)
        return channel in now

    def clear(self) -> None:
        self._off.clear()
        self._reindex()

    @property
    def count(self) -> int:
        return sum(len(c) for c in self._off.values())

    @property
    def active(self) -> bool:
        return bool(self._off)

    def switched_off(self) -> dict[str, list[int]]:
        """{name: channels} in the model's order (for JSON and for people)."""
        return {name: list(self._off[name]) for name in self.targets if name in self._off}

    def describe(self) -> str:
        """e.g. "features.2: 5, 7; features.6: 0" ("" when none)."""
        return "; ".join(f"{name}: {', '.join(map(str, chans))}" for name, chans in self.switched_off().items())

    def hooked(self) -> dict[str, tuple[int, ...]]:
        """A frozen copy, by the module each hook goes on: what `zeroed` takes (for another thread's copy)."""
        merged: dict[str, set[int]] = {}
        for name, channels in self._off.items():
            merged.setdefault(self.targets[name].module, set()).update(channels)
        return {module: tuple(sorted(channels)) for module, channels in merged.items()}

    def _reindex(self) -> None:
        self._index = {module: torch.tensor(channels, dtype=torch.long) for module, channels in self.hooked().items()}

    # ----- hooks --------------------------------------------------------------------------------------------
    def attach(self, model: nn.Module) -> Hooks:
        """Live hooks on every module a channel of which can be switched off (one dict look-up a pass when none
        is)."""
        modules = dict(model.named_modules())
        wanted = {target.module for target in self.targets.values()}
        return Hooks([modules[name].register_forward_hook(_zero_hook(lambda name=name: self._index.get(name)))
                      for name in wanted])


@dataclass
class Cost:
    images: int
    accuracy_off: float     # with the channels switched off
    accuracy_all: float     # with none off
    seconds: float          # the whole measurement (both passes, or one when the baseline was known)

    @property
    def points(self) -> float:
        """What switching them off costs, in percentage points (negative: they were in the way)."""
        return 100 * (self.accuracy_all - self.accuracy_off)


def measure_cost(model: nn.Module, split: LabelledImages, off: dict[str, Iterable[int]],
                 accuracy_all: float | None = None, stop: threading.Event | None = None) -> Cost:
    """Accuracy on `split` with the channels `off` (by hooked module, as ChannelSwitch.hooked() gives them)
    switched off, and with none off (`accuracy_all` when already known: it is the model's own). The model is
    used as it is: give a copy when other threads use it. Raises trainer.evaluation.Stopped once `stop` is set."""
    started = time.perf_counter()
    with zeroed(model, off):
        ablated = evaluate(model, split, stop=stop).accuracy
    if accuracy_all is None:
        accuracy_all = evaluate(model, split, stop=stop).accuracy
    return Cost(len(split), ablated, accuracy_all, time.perf_counter() - started)
