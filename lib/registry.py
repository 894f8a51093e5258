"""Named implementations: a run config names its model, optimizer and schedule (``"model": "mixer"``), and
the module that implements one registers it under that name where it lives (``@MODELS.register("mixer")``).
The registries are filled when their package is imported (``lib.models``, ``lib.optim``), so a spawned
worker that imports the package finds every name."""
from __future__ import annotations

from typing import Callable


class Registry(dict):
    """name -> implementation, with optional facts about each (``meta``), and an error naming the valid ones."""

    def __init__(self, what: str):
        super().__init__()
        self.what, self.meta = what, {}

    def register(self, name: str, **meta) -> Callable:
        def add(fn):
            if name in self:
                raise ValueError(f"{self.what} {name!r} is registered twice ({self[name]} and {fn})")
            self[name], self.meta[name] = fn, meta
            return fn
        return add

    def get(self, name: str):
        if name not in self:
            raise ValueError(f"unknown {self.what} {name!r}; valid: {', '.join(sorted(self))}")
        return self[name]
