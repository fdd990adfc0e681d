"""pytorch/examples' MNIST Net (mnist/main.py), as a foreign model to open: 1.2M parameters, MNIST-normalised
input ((x - 0.1307) / 0.3081, white ink on black), log-probabilities out. Written out here as it is there."""

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from trainer.data import normalize
from trainer.inspection import torch_threads

BATCHES, BATCH_SIZE = 150, 64  # 10-20 s on one core (9,600 digits): about 95%


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train_briefly(train, batches: int = BATCHES, seed: int = 1) -> Net:
    """A hundred and fifty batches of pytorch/examples' recipe (Adadelta, lr 1.0), one thread: over 90% on the test
    set. `train`: a LabelledImages split ([0, 1] pictures)."""
    torch.manual_seed(seed)
    net = Net().train()
    optimizer = torch.optim.Adadelta(net.parameters(), lr=1.0)
    order = torch.randperm(len(train.labels))[:batches * BATCH_SIZE]
    started = time.perf_counter()
    with torch_threads(1):
        for start in range(0, len(order), BATCH_SIZE):
            chosen = order[start:start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = F.nll_loss(net(normalize(train.images[chosen].float())), train.labels[chosen])
            loss.backward()
            optimizer.step()
    net.seconds = time.perf_counter() - started
    return net.eval()


def save_three_ways(net: Net, folder: Path) -> dict[str, Path]:
    """The net as an ONNX file, a TorchScript file and a torch.export program, in `folder`."""
    net = net.eval()
    example = torch.zeros(2, 1, 28, 28)
    batch = torch.export.Dim("batch", min=1)
    paths = {"onnx": folder / "examples-net.onnx", "torchscript": folder / "examples-net.pt",
             "export": folder / "examples-net.pt2"}
    with torch_threads(1):
        torch.jit.save(torch.jit.script(net), str(paths["torchscript"]))
        program = torch.export.export(net, (example,), dynamic_shapes=({0: batch},))
        torch.export.save(program, str(paths["export"]))
        torch.onnx.export(net, (example,), str(paths["onnx"]), input_names=["input"], output_names=["scores"],
                          dynamic_shapes=({0: batch},), dynamo=True, external_data=False, verbose=False)
    return paths
