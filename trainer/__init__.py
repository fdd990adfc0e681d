"""Pure-PyTorch side of digitpad: the seed Net, MNIST in memory, the one training engine, checkpoints.

Nothing here imports Qt, so the `trainer` CLI and the GUI's Train tab share this code unchanged.
"""
