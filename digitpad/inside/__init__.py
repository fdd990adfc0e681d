"""Inside the net: the inside view (feature maps of every block, saliency), and heat-map pictures shared with the
Train tab's filter view."""
