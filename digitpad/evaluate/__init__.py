"""The Evaluate tab: the model in use on the MNIST test set (or another labelled set), in a background worker,
shown as accuracy, a clickable confusion matrix, galleries of digits, and per-digit precision and recall."""
