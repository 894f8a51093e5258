"""K-FAC's mathematics: factors against brute-force E[ā āᵀ] and E[g gᵀ] on a tiny Mixer (3-D inputs
and the patch conv), the preconditioned gradient against (G ⊗ A + λI)⁻¹ built explicitly, the KL clip,
the true Fisher's sampled labels, and that it trains."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.models.mixer import MLPMixer
from lib.optim import kfac

N, CLASSES, P = 5, 3, 4


def tiny_mixer():
    torch.manual_seed(0)
    return MLPMixer(image_size=8, patch=P, dim=6, depth=2, token_hidden=5, channel_hidden=7, num_classes=CLASSES)


def batch():
    g = torch.Generator().manual_seed(1)
    return torch.randn(N, 3, 8, 8, generator=g), torch.randint(0, CLASSES, (N,), generator=g)


def brute_force_factors(model, x, labels):
    """A = mean over all rows of ā āᵀ; G = 1/N Σ_rows g gᵀ with g the per-example loss gradient
    (a summed loss gives exactly that), patches cut out by hand, not by unfold."""
    inputs, outputs = {}, {}
    hooks = []
    for m in model.modules():
        if kfac.is_kfac_layer(m):
            def hook(mod, inp, out):
                inputs[mod] = inp[0].detach()
                out.retain_grad()
                outputs[mod] = out
            hooks.append(m.register_forward_hook(hook))
    F.cross_entropy(model(x), labels, reduction="sum").backward()
    for h in hooks:
        h.remove()
    factors = {}
    for m, a in inputs.items():
        g = outputs[m].grad
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0]
            a = torch.stack([a[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k].reshape(len(a), -1)
                             for i in range(a.shape[2] // k) for j in range(a.shape[3] // k)], dim=1)
            g = g.flatten(2).transpose(1, 2)
        a = a.reshape(-1, a.shape[-1])
        a = torch.cat([a, torch.ones(len(a), 1)], 1)
        g = g.reshape(-1, g.shape[-1])
        A = sum(torch.outer(r, r) for r in a) / len(a)
        G = sum(torch.outer(r, r) for r in g) / N
        factors[m] = (A, G, len(a) // N)
    model.zero_grad()
    return factors


def record_stats(model, opt, x, y):
    """What fisher_step does before the real backward."""
    out = model(x)
    opt.update_stats(F.cross_entropy(out, y), len(x))
    assert all(p.grad is None for p in model.parameters())      # G needs no weight gradients


@pytest.mark.parametrize("quirk", [False, True])
def test_factors_match_brute_force_on_a_tiny_mixer(quirk):
    model, (x, y) = tiny_mixer(), batch()
    opt = kfac.KFAC(model, lr=0.1, fisher="empirical", g_rows_quirk=quirk, init="first_batch")
    record_stats(model, opt, x, y)
    brute = brute_force_factors(model, x, y)
    assert len(brute) == len(opt.layers) == 1 + 2 * 4 + 1         # patch conv, 4 Linear per block, head
    rows_seen = set()
    for m in opt.layers:
        A, G, R = brute[m]
        rows_seen.add(R)
        torch.testing.assert_close(opt.state[m.weight]["A"], A, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(opt.state[m.weight]["G"], G * (R if quirk else 1), rtol=1e-4, atol=1e-7)
    assert rows_seen == {1, 4, 6}     # head (2-D), patch conv and channel mixing (4 tokens), token mixing (6 ch.)


def test_true_fisher_uses_labels_sampled_from_the_softmax():
    model, (x, y) = tiny_mixer(), batch()
    opt = kfac.KFAC(model, lr=0.1, fisher="true", stats_every=1, init="first_batch")
    torch.manual_seed(7)
    kfac.fisher_step(model, opt, x, y, F.cross_entropy)
    G_true = opt.state[model.head.weight]["G"]
    model2 = tiny_mixer()
    torch.manual_seed(7)
    sampled = torch.distributions.Categorical(logits=model2(x)).sample()
    _, G, _ = brute_force_factors(model2, x, sampled)[model2.head]
    torch.testing.assert_close(G_true, G, rtol=1e-4, atol=1e-7)
    model3 = tiny_mixer()
    _, G_emp, _ = brute_force_factors(model3, x, y)[model3.head]
    assert not torch.allclose(G_true, G_emp) or torch.equal(sampled, y)


def one_linear_layer():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    return model, x, y


def test_preconditioned_gradient_equals_explicit_kronecker_inverse():
    model, x, y = one_linear_layer()
    damping = 0.05
    opt = kfac.KFAC(model, lr=0.1, damping=damping, momentum=0, weight_decay=0, kl_clip=None, fisher="empirical",
                    init="first_batch")
    record_stats(model, opt, x, y)
    F.cross_entropy(model(x), y).backward()
    layer = model[0]
    st = opt.state[layer.weight]
    grad = kfac.grad_matrix(layer)                                          # (3, 5)
    explicit = torch.kron(st["G"], st["A"]) + damping * torch.eye(15)      # (G ⊗ A + λI), row-major vec
    expected = torch.linalg.solve(explicit, grad.flatten()).reshape(3, 5)
    w0, b0 = layer.weight.clone(), layer.bias.clone()
    opt.step()
    torch.testing.assert_close(opt.precondition(layer, grad), expected, rtol=1e-4, atol=1e-6)
    # the step itself: p ← p − η v (no momentum, decay or clip here)
    torch.testing.assert_close(layer.weight, w0 - 0.1 * expected[:, :4], rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(layer.bias, b0 - 0.1 * expected[:, 4], rtol=1e-4, atol=1e-6)


def test_kl_clip_rescales_the_step():
    model, x, y = one_linear_layer()
    lr, kl = 0.5, 1e-6
    opt = kfac.KFAC(model, lr=lr, momentum=0, weight_decay=0, kl_clip=kl, fisher="empirical", init="first_batch")
    record_stats(model, opt, x, y)
    F.cross_entropy(model(x), y).backward()
    layer = model[0]
    opt._eigendecompose()
    grad = kfac.grad_matrix(layer)
    v = opt.precondition(layer, grad)
    nu = min(1.0, math.sqrt(kl / (lr ** 2 * float((v * grad).sum()))))
    assert nu < 1
    w0 = layer.weight.clone()
    opt.step()
    torch.testing.assert_close(layer.weight, w0 - lr * nu * v[:, :4], rtol=1e-4, atol=1e-7)


def test_layernorm_falls_back_to_sgd_with_momentum():
    model, (x, y) = tiny_mixer(), batch()
    opt = kfac.KFAC(model, lr=0.1, momentum=0.9, weight_decay=0.01, stats_every=1, wd_from_step=0)
    ln = model.norm.weight
    w0 = ln.detach().clone()
    kfac.fisher_step(model, opt, x, y, F.cross_entropy)
    torch.testing.assert_close(ln.detach(), w0 - 0.1 * (ln.grad + 0.01 * w0))


def test_identity_start_averages_the_first_statistics_into_the_identity():
    """The reference code's start: A = decay·I + (1 − decay)·A₁ after the first statistics step (G likewise)."""
    model, (x, y) = tiny_mixer(), batch()
    opt = kfac.KFAC(model, lr=0.1, fisher="empirical", stat_decay=0.95)
    assert opt.init == "identity"                                   # the default, as the reference code
    record_stats(model, opt, x, y)
    for m, (A, G, _) in brute_force_factors(model, x, y).items():
        torch.testing.assert_close(opt.state[m.weight]["A"], 0.95 * torch.eye(len(A)) + 0.05 * A, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(opt.state[m.weight]["G"], 0.95 * torch.eye(len(G)) + 0.05 * G, rtol=1e-4, atol=1e-7)


def test_weight_decay_starts_after_twenty_statistics_steps_by_default():
    """The reference code adds weight decay only from step 20·stats_every on; before, the step has none."""
    model, (x, y) = tiny_mixer(), batch()
    opt = kfac.KFAC(model, lr=0.1, momentum=0, weight_decay=0.5, stats_every=1)
    assert opt.wd_from_step == 20
    ln = model.norm.weight
    for step in range(21):
        w0 = ln.detach().clone()
        kfac.fisher_step(model, opt, x, y, F.cross_entropy)
        decay = 0.5 * w0 if step >= 20 else 0.0
        torch.testing.assert_close(ln.detach(), w0 - 0.1 * (ln.grad + decay))


def test_kfac_trains_and_resumes_from_its_state_dict():
    model, (x, y) = tiny_mixer(), batch()
    opt = kfac.KFAC(model, lr=0.05, stats_every=2, inv_every=4)
    losses = [float(kfac.fisher_step(model, opt, x, y, F.cross_entropy)[0]) for _ in range(30)]
    assert losses[-1] < 0.3 * losses[0]
    state = copy.deepcopy(opt.state_dict())      # as a checkpoint on disk would be
    clone = tiny_mixer()
    clone.load_state_dict(model.state_dict())
    opt2 = kfac.KFAC(clone, lr=0.05, stats_every=2, inv_every=4)
    opt2.load_state_dict(state)
    assert opt2.steps == 30
    torch.manual_seed(3)
    kfac.fisher_step(model, opt, x, y, F.cross_entropy)
    torch.manual_seed(3)
    kfac.fisher_step(clone, opt2, x, y, F.cross_entropy)
    for p, q in zip(model.parameters(), clone.parameters()):
        torch.testing.assert_close(p, q)


def test_step_without_statistics_and_bad_settings_fail_clearly():
    model, x, y = one_linear_layer()
    opt = kfac.KFAC(model, lr=0.1)
    F.cross_entropy(model(x), y).backward()
    with pytest.raises(RuntimeError, match="fisher_step"):
        opt.step()
    with pytest.raises(ValueError, match="fisher"):
        kfac.KFAC(model, lr=0.1, fisher="exact")
    with pytest.raises(ValueError, match="init"):
        kfac.KFAC(model, lr=0.1, init="zeros")
    with pytest.raises(ValueError, match="damping"):
        kfac.KFAC(model, lr=0.1, damping=0)
