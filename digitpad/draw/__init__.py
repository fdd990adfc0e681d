"""The Draw tab and its parts: the canvas, the confidence bars, the net's-eye preview."""
