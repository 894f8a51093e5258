"""Models: one architecture per module, shared pieces in ``layers``."""
