"""The outputs of named submodules of a model on a fixed batch of inputs (forward hooks, eval mode)."""
from __future__ import annotations

import torch


@torch.no_grad()
def capture(model: torch.nn.Module, names, x: torch.Tensor, *, batch: int = 500,
            transform=None) -> dict[str, torch.Tensor]:
    """``{name: output}`` of each named submodule over ``x`` (in batches, model in eval mode, restored
    after), flattened per sample and on the CPU; ``transform(name, output)`` maps an output first."""
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise ValueError(f"no submodule(s) {missing}; the model has {[n for n in modules if n][:20]}…")
    out: dict[str, list] = {n: [] for n in names}
    hooks = [modules[n].register_forward_hook(
        lambda m, i, o, n=n: out[n].append((transform(n, o) if transform else o).flatten(1).cpu())) for n in names]
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        for s in range(0, len(x), batch):
            model(x[s:s + batch].to(device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return {n: torch.cat(v) for n, v in out.items()}
