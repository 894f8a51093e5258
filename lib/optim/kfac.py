"""K-FAC (Martens & Grosse, 2015) for every nn.Linear and the patch-embedding conv of a model.

For a layer y = W a + b applied to R rows per example (R = 1 for a 2-D input; R = channels for the
Mixer's token-mixing layers, whose input is (B, C, S); R = tokens for channel mixing; R = patches
for the patch embedding), with ā = [a, 1] and g = ∂(−log p(y_n | x_n))/∂y_{n,r} the per-example
gradient of the layer's output, the Fisher block is approximated as (K-FAC paper Eq. 6, with the
"expand" convention of Eschenhagen et al. 2023 for the shared rows):

    A = 1/(N R) Σ_{n,r} ā ā^T        G = 1/N Σ_{n,r} g g^T        F ≈ G ⊗ A

The update of the (out × in+1) gradient matrix ∇ = [∇W, ∇b] is (G ⊗ A + λI)⁻¹ vec(∇), computed from
eigendecompositions G = Q_G diag(d_G) Q_Gᵀ, A = Q_A diag(d_A) Q_Aᵀ as
Q_G [(Q_Gᵀ ∇ Q_A) / (d_G d_Aᵀ + λ)] Q_Aᵀ, rescaled by the KL clip ν = min(1, sqrt(κ / (η² Σ v·∇))),
then weight decay (after preconditioning) and momentum, as in the public K-FAC code the K-FAC-on-Mixer
authors forked (alecwangcq/KFAC-Pytorch). Other parameters (LayerNorm) take the same SGD-with-momentum step on
the raw gradient.

Two settings of that code are options here, with its choice as the default:
``init``: ``"identity"`` starts the running A and G at I and averages from there (after the first statistics
step A = decay·I + (1 − decay)·A₁), so the first steps are near SGD; ``"first_batch"`` starts them at the first
batch's statistics, which are rank-deficient (rank ≤ the batch's rows), so most eigen-directions sit below the
damping and are multiplied by up to 1/λ. ``wd_from_step``: weight decay is added only from that optimizer step
on; the reference code's 20 statistics steps (``20 * stats_every``) when None, 0 for always.

Under bf16 autocast (``lib.env.fast_paths``) the factors, their eigendecompositions (``eigh`` has no bf16 kernel),
the damping and the preconditioned step stay in float32: the statistics are cast to float32 and computed, like
the whole ``step``, with autocast off (``lib.train.fp32``); only the model's forward and backward run in bf16.

Two quirks of that code can be switched on to study them (chapter 01, item ``quirks``):
``g_rows_quirk``: G is averaged over the N·R rows but scaled by N·R instead of N, i.e. R× the
expand G (which weakens the damping per layer); ``rewrite_grad``: the preconditioned step is written
into ``.grad`` in place (which changes what a second optimizer reading ``.grad`` sees).
"""
from __future__ import annotations

from collections import defaultdict

import torch
import torch.nn.functional as F
from torch import nn

from lib.optim import OPTIMIZERS
from lib.train import fp32

FISHERS = ("true", "empirical")
INITS = ("identity", "first_batch")


def is_kfac_layer(m: nn.Module) -> bool:
    """Linear layers, and convs whose patches do not overlap (the patch embedding)."""
    if isinstance(m, nn.Linear):
        return True
    return (isinstance(m, nn.Conv2d) and m.kernel_size == m.stride and m.padding == (0, 0)
            and m.groups == 1 and m.dilation == (1, 1))


def layer_rows(m: nn.Module, a: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The layer's input and output-gradient as rows: ā (N·R, in[+1]) and g (N·R, out)."""
    if isinstance(m, nn.Conv2d):
        a = F.unfold(a, m.kernel_size, stride=m.stride).transpose(1, 2)  # (N, R, C·kh·kw), R = patches
        g = g.flatten(2).transpose(1, 2)                                   # (N, R, out)
    a, g = a.reshape(-1, a.shape[-1]), g.reshape(-1, g.shape[-1])
    if m.bias is not None:
        a = torch.cat([a, a.new_ones(len(a), 1)], dim=1)
    return a, g


def grad_matrix(m: nn.Module) -> torch.Tensor:
    """[∇W, ∇b] as an (out, in[+1]) matrix, in the column order of :func:`layer_rows`."""
    gw = m.weight.grad.reshape(m.weight.shape[0], -1)
    return torch.cat([gw, m.bias.grad[:, None]], dim=1) if m.bias is not None else gw


class KFAC(torch.optim.Optimizer):
    def __init__(self, model: nn.Module, *, lr: float, momentum: float = 0.9, weight_decay: float = 1e-4,
                 damping: float = 1e-3, stat_decay: float = 0.95, kl_clip: float | None = 1e-2,
                 stats_every: int = 10, inv_every: int = 100, fisher: str = "true", init: str = "identity",
                 wd_from_step: int | None = None, g_rows_quirk: bool = False, rewrite_grad: bool = False):
        if fisher not in FISHERS:
            raise ValueError(f"fisher must be one of {FISHERS}, got {fisher!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if wd_from_step is not None and wd_from_step < 0:
            raise ValueError(f"wd_from_step must be None or >= 0, got {wd_from_step}")
        for name, v in dict(lr=lr, damping=damping, stats_every=stats_every, inv_every=inv_every).items():
            if not v > 0:
                raise ValueError(f"{name} must be > 0, got {v}")
        if not (0 <= stat_decay < 1 and 0 <= momentum < 1 and weight_decay >= 0):
            raise ValueError("need 0 <= stat_decay < 1, 0 <= momentum < 1, weight_decay >= 0")
        super().__init__(model.parameters(), dict(lr=lr, momentum=momentum, weight_decay=weight_decay))
        self.damping, self.stat_decay, self.kl_clip, self.fisher = damping, stat_decay, kl_clip, fisher
        self.stats_every, self.inv_every, self.init = stats_every, inv_every, init
        self.wd_from_step = 20 * stats_every if wd_from_step is None else wd_from_step
        self.g_rows_quirk, self.rewrite_grad = g_rows_quirk, rewrite_grad
        self.layers = [m for m in model.modules() if is_kfac_layer(m)]
        self.steps = 0
        self._a, self._out = {}, {}
        for m in self.layers:
            m.register_forward_hook(self._save_input_and_output)

    # ---------------------------------------------------------- statistics
    def stats_due(self) -> bool:
        return self.steps % self.stats_every == 0

    def _save_input_and_output(self, m, inputs, output):
        """When statistics are due, keep the layer's input and (in the graph) its output."""
        if m.training and torch.is_grad_enabled() and self.stats_due():
            self._a[m], self._out[m] = inputs[0].detach(), output

    def update_stats(self, fisher_loss: torch.Tensor, batch_size: int) -> None:
        """Fold this step's A and G into the running averages. G comes from the gradients of
        ``fisher_loss`` (a mean over ``batch_size`` = N examples, so they are g / N) with respect to the
        layers' outputs only: no weight gradients are computed for it (torch.autograd.grad)."""
        outs = [self._out.pop(m) for m in self.layers]
        grads = torch.autograd.grad(fisher_loss, outs, retain_graph=True)
        with torch.no_grad(), fp32(fisher_loss.device):
            self._fold(grads, batch_size)

    def _fold(self, grads, batch_size: int) -> None:
        for m, g in zip(self.layers, grads):
            a, g = layer_rows(m, self._a.pop(m).float(), g.float())
            A = a.T @ a / len(a)                                    # 1/(N R) Σ ā āᵀ
            # G = 1/N Σ (N g)(N g)ᵀ = N Σ g gᵀ; the quirk scales by the N·R rows instead: R× larger
            G = g.T @ g * (len(g) if self.g_rows_quirk else batch_size)
            st = self.state[m.weight]
            if "A" not in st and self.init == "first_batch":
                st["A"], st["G"] = A, G
                continue
            if "A" not in st:                                       # the reference code's identity start
                st["A"], st["G"] = torch.eye(len(A), device=A.device), torch.eye(len(G), device=G.device)
            st["A"].lerp_(A, 1 - self.stat_decay)                   # decay·old + (1 − decay)·new
            st["G"].lerp_(G, 1 - self.stat_decay)

    @torch.no_grad()
    def _eigendecompose(self) -> None:
        """Eigendecompose every A and G, batched over factors of the same size (the blocks of a
        Mixer repeat their shapes, so one ``eigh`` call per shape)."""
        groups = defaultdict(list)
        for m in self.layers:
            for f in ("A", "G"):
                groups[self.state[m.weight][f].shape].append((m, f))
        for members in groups.values():
            d, Q = torch.linalg.eigh(torch.stack([self.state[m.weight][f] for m, f in members]))
            d = d * (d > 1e-10)                                          # drop round-off negatives
            for (m, f), di, Qi in zip(members, d, Q):
                self.state[m.weight]["d" + f], self.state[m.weight]["Q" + f] = di, Qi

    def precondition(self, m: nn.Module, grad: torch.Tensor) -> torch.Tensor:
        """(G ⊗ A + λI)⁻¹ vec(∇) for the (out, in[+1]) gradient matrix ∇ (row-major vec)."""
        st = self.state[m.weight]
        v = st["QG"].T @ grad @ st["QA"]
        v = v / (st["dG"][:, None] * st["dA"][None, :] + self.damping)
        return st["QG"] @ v @ st["QA"].T

    # ---------------------------------------------------------- the step
    @torch.no_grad()
    def step(self, closure=None):
        with fp32(self.layers[0].weight.device):
            self._step()

    def _step(self):
        if any("A" not in self.state[m.weight] for m in self.layers):
            raise RuntimeError("K-FAC has no curvature statistics yet: train with lib.optim.kfac.fisher_step "
                               "(it runs the Fisher backward pass when statistics are due)")
        group = self.param_groups[0]
        lr, momentum = group["lr"], group["momentum"]
        wd = group["weight_decay"] if self.steps >= self.wd_from_step else 0.0    # the reference's warm-up
        if self.steps % self.inv_every == 0:
            self._eigendecompose()
        step_of = {}
        vg = torch.zeros((), device=self.layers[0].weight.device)   # Σ v·∇, summed on the device (no sync)
        for m in self.layers:
            if m.weight.grad is None:
                continue
            grad = grad_matrix(m)
            v = self.precondition(m, grad.float()).to(grad.dtype)
            vg += (v.float() * grad.float()).sum()
            w = v[:, : m.weight[0].numel()].reshape(m.weight.shape)
            step_of[m.weight] = w
            if m.bias is not None:
                step_of[m.bias] = v[:, -1]
        # KL clip: ν = min(1, sqrt(κ / (η² Σ v·∇))); Σ v·∇ = ∇ᵀ(F + λ)⁻¹∇ ≥ 0, and 0 gives ν = 1
        nu = (self.kl_clip / (lr ** 2 * vg.clamp_min(0))).sqrt().clamp(max=1.0) if self.kl_clip else 1.0
        for p in group["params"]:
            if p.grad is None:
                continue
            d = step_of[p] * nu if p in step_of else p.grad
            if self.rewrite_grad:
                p.grad.copy_(d)                                            # the authors' in-place rewrite
            if wd:
                d = d + wd * p                                             # weight decay after preconditioning
            buf = self.state[p].get("momentum_buffer")
            buf = d.clone() if buf is None else buf.mul_(momentum).add_(d)
            self.state[p]["momentum_buffer"] = buf
            p.add_(buf, alpha=-lr)
        self.steps += 1

    def state_dict(self):
        return {**super().state_dict(), "kfac_steps": self.steps}

    def load_state_dict(self, state):
        state = dict(state)
        self.steps = state.pop("kfac_steps")
        super().load_state_dict(state)


def kfac_parts(optimizer) -> list[KFAC]:
    """The K-FAC instances inside ``optimizer`` (itself, or the children of a Graft)."""
    if isinstance(optimizer, KFAC):
        return [optimizer]
    return [o for o in getattr(optimizer, "children", ()) if isinstance(o, KFAC)]


@OPTIMIZERS.register("kfac")
def build(model: nn.Module, **kwargs) -> KFAC:
    return KFAC(model, **kwargs)


def fisher_step(model, optimizer, xb, yb, loss_fn):
    """A training step (``train.fit(step=...)``) for K-FAC or a Graft holding K-FAC: when statistics
    are due, the gradient of the loss at labels sampled from the model's softmax (true Fisher) or at the
    true labels (empirical Fisher) with respect to the layers' outputs gives G; then the ordinary
    backward and step."""
    optimizer.zero_grad(set_to_none=True)
    out = model(xb)
    loss = loss_fn(out, yb)
    due = [k for k in kfac_parts(optimizer) if k.stats_due()]
    if due:
        with torch.no_grad():
            sampled = torch.distributions.Categorical(logits=out.float()).sample()
        for k in due:
            k.update_stats(F.cross_entropy(out, sampled if k.fisher == "true" else yb), len(xb))
    loss.backward()
    optimizer.step()
    return loss.detach(), out.detach()


fisher_step.compiles = False    # its hooks keep the layers' outputs from inside the forward (lib.train.compiled)
KFAC.training_step = staticmethod(fisher_step)    # train.fit's step for K-FAC (lib.optim.training_step)
