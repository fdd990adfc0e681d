"""File > Export...: the model in use to ONNX, in a worker thread (worker.py)."""
