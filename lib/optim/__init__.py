"""Optimizers the papers contribute: K-FAC, learning-rate grafting, ..."""
