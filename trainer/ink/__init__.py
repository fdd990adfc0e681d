"""The ink pipeline, pure numpy, scipy and Pillow (no torch, no Qt): image files to grey levels (images),
strokes to pixels (render), a number's ink into digits (segment), grey levels to MNIST's 28x28 picture
(preprocess, strokes), and the pad's strokes redrawn for the net (redraw). The app reads with it, and the
trainer draws its synthetic digits and non-digits with it, so both see ink the same way."""
