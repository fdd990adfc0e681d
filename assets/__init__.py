"""Files shipped with digitpad: the built-in checkpoint (seed.pt) and the window icon.

This folder installs as the package `digitpad.assets` (see pyproject.toml), so `importlib.resources` finds these
files the same way from a source checkout, an editable install and a wheel.
"""
