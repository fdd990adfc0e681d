"""Feature maps of a foreign model (trainer.foreign), for the inside view: what each format lets us see.

Forward hooks, which trainer.inspection uses on digitpad's own nets, do not work on TorchScript modules and have
no modules to hold on to in a torch.export program or an ONNX graph. So each format is read its own way:

- TorchScript: the forward graph, frozen (weights folded in), gets every convolution's output added to what it
  returns, and runs as a function of its own: every convolution's maps in one pass.
- torch.export: the program is a torch.fx graph; an Interpreter runs it node by node and keeps what every
  convolution gives.
- ONNX: with the onnx package, every 4-D value the graph computes (shapes inferred) becomes an extra output of a
  second ONNX Runtime session, run once a picture. Without onnx, no maps: `note` says so and what to install.

`ForeignProbe(model)` offers what trainer.inspection.FeatureProbe does (`blocks`, `run(image)`), and `note`: one
plain sentence on what the view cannot show for this format (empty when it shows everything it would).
"""

from __future__ import annotations

import numpy as np
import torch

from .data import normalize
from .foreign import ForeignNet, one_thread
from .inspection import INPUT_SIZE, Activations, Block, torch_threads

CONVOLUTIONS = ("aten::conv2d", "aten::_convolution", "aten::convolution")


class ForeignProbe:
    def __init__(self, model: ForeignNet):
        self.model = model
        self.note = ""
        self._run = None  # own input -> (scores, [maps])
        names: list[tuple[str, str, tuple[int, int]]] = []  # (name, kind, kernel) per map row
        try:
            if model.format == "torchscript":
                self._run, names = _torchscript_runner(model.inner)
            elif model.format == "export":
                self._run, names = _export_runner(model.inner)
            else:
                self._run, names = _onnx_runner(model)
        except _Unavailable as why:
            self.note = str(why)
        except Exception as error:  # an unusual graph: the reading still works, only the maps are missing
            self.note = f"Its feature maps could not be read from this {model.format} graph ({type(error).__name__})."
            self._run = None
        self.blocks: list[Block] = []
        if self._run is not None:
            _scores, maps = self._run(self._own(np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32)))
            self.blocks = [Block(name, (name, ), (kind, ), tuple(int(s) for s in value.shape[1:]), 0, kernel)
                           for (name, kind, kernel), value in zip(names, maps)]
            if not self.blocks:
                self.note = "Its graph has no convolution (no 2-D feature maps to show)."

    def _own(self, image: np.ndarray) -> torch.Tensor:
        pixels = torch.as_tensor(np.asarray(image, dtype=np.float32)).reshape(1, 1, INPUT_SIZE, INPUT_SIZE)
        return self.model.to_own_input(normalize(pixels))

    def run(self, image: np.ndarray) -> Activations:
        pixels = np.asarray(image, dtype=np.float32).reshape(INPUT_SIZE, INPUT_SIZE)
        with torch.inference_mode(), torch_threads(1):
            if self._run is None:
                scores, maps = self.model.scores(self._own(pixels)), []
            else:
                scores, maps = self._run(self._own(pixels))
            probabilities = self.model.log_probabilities(scores)[0].double().exp().numpy()
        return Activations(pixels, [m[0].float().numpy() for m in maps], probabilities / probabilities.sum())


class _Unavailable(Exception):
    """What the format does not let us see, in words for the view."""


def _torchscript_runner(module):
    frozen = torch.jit.freeze(module.eval())
    graph = frozen.graph.copy()
    if next(iter(graph.inputs())).uses():
        raise _Unavailable("Its TorchScript graph still uses the module itself after freezing: no maps.")
    graph.eraseInput(0)  # `self`: frozen, nothing reads it
    convolutions = [node for node in graph.nodes() if node.kind() in CONVOLUTIONS]
    names = []
    for index, node in enumerate(convolutions):
        weight = node.inputsAt(1)
        name = weight.debugName().removeprefix("self.").removesuffix(".weight") or f"conv {index + 1}"
        sizes = weight.type().sizes() if isinstance(weight.type(), torch._C.TensorType) else None
        kernel = (sizes[-2], sizes[-1]) if sizes and len(sizes) == 4 else (0, 0)
        names.append((name, "Conv2d", kernel))
    returned = graph.return_node()
    values = [returned.input()] + [node.output() for node in convolutions]
    pack = graph.create("prim::TupleConstruct", values)
    pack.insertBefore(returned)
    pack.output().setType(torch._C.TupleType([value.type() for value in values]))
    returned.replaceInput(0, pack.output())
    function = torch._C._create_function_from_graph("digitpad_feature_maps", graph)

    def run(x):
        scores, *maps = function(x)
        return scores, maps
    return run, names


def _export_runner(module):
    convolutions = [node for node in module.graph.nodes if node.op == "call_function"
                    and ("convolution" in str(node.target) or "conv2d" in str(node.target))]
    keep = {node.name: index for index, node in enumerate(convolutions)}
    names = []
    for node in convolutions:
        stack = node.meta.get("nn_module_stack") or {}
        path = list(stack.values())[-1][0] if stack else node.name
        weight = node.args[1].meta.get("val") if len(node.args) > 1 and hasattr(node.args[1], "meta") else None
        kernel = tuple(weight.shape[-2:]) if weight is not None and weight.dim() == 4 else (0, 0)
        names.append((path, "Conv2d", kernel))

    class Keeper(torch.fx.Interpreter):
        def run_node(self, node):
            result = super().run_node(node)
            if node.name in keep:
                self.maps[keep[node.name]] = result
            return result

    def run(x):
        keeper = Keeper(module)
        keeper.maps = [None] * len(convolutions)
        output = keeper.run(x)
        return (output[0] if isinstance(output, (tuple, list)) else output), keeper.maps
    return run, names


def _onnx_runner(model: ForeignNet):
    try:
        import onnx
    except ImportError:
        raise _Unavailable("Showing an ONNX model's intermediate outputs needs the onnx package: pip install onnx. "
                           "The reading itself needs only ONNX Runtime.") from None
    import onnxruntime

    proto = onnx.shape_inference.infer_shapes(onnx.load(str(model.path)))
    shapes = {info.name: info.type.tensor_type.shape for info in proto.graph.value_info}
    outputs = {output.name for output in proto.graph.output}
    producers = {name: node.op_type for node in proto.graph.node for name in node.output}
    chosen = [name for node in proto.graph.node for name in node.output  # in the graph's order
              if name in shapes and name not in outputs and len(shapes[name].dim) == 4]
    for name in chosen:
        proto.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = onnxruntime.InferenceSession(proto.SerializeToString(), one_thread(), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    first = session.get_outputs()[0].name

    def run(x):
        values = session.run([first] + chosen, {input_name: np.ascontiguousarray(x.numpy())})
        return torch.from_numpy(values[0]), [torch.from_numpy(value) for value in values[1:]]
    names = [(name, producers[name], (0, 0)) for name in chosen]
    if not chosen:
        raise _Unavailable("Its ONNX graph names no 4-D intermediate values (no feature maps to show).")
    return run, names
