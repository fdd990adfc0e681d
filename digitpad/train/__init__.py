"""The Train tab and its parts, which know nothing of each other; the tab builds and wires them."""
