"""The reading pipeline, apart from every view: picture -> digits (pure numpy/Pillow), then the net (torch)."""
