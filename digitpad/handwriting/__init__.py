"""Learning a person's handwriting in the window: saving samples from the canvas, the "My handwriting" tab."""
