"""The autoencoders' mathematics: the MultiGamma KL against Monte Carlo and torch, Eq. (7) against the exact
inverse Gamma CDF, Dirichlet sampling per row, what-where pooling in its limits, the SWWAE's Eq. (3)."""
import math

import numpy as np
import pytest
import scipy.special as sp
import torch
import torch.nn.functional as F
from torch.distributions import Gamma, Normal, kl_divergence

from lib.models import autoencoders


def test_multigamma_kl_matches_monte_carlo_and_torch():
    alpha_hat = torch.tensor([0.3, 0.98, 2.5, 7.0], dtype=torch.float64)
    prior = 0.98
    ours = autoencoders.multigamma_kl(alpha_hat, prior)
    q, p = Gamma(alpha_hat, torch.ones(4, dtype=torch.float64)), Gamma(torch.full((4,), prior, dtype=torch.float64), 1.0)
    assert torch.allclose(ours, kl_divergence(q, p).sum(), atol=1e-10)
    torch.manual_seed(0)
    v = q.sample((400_000,))
    terms = (q.log_prob(v) - p.log_prob(v)).sum(1)
    se = terms.std() / math.sqrt(len(terms))
    assert abs(float(terms.mean() - ours)) < 4 * float(se)
    assert float(autoencoders.multigamma_kl(torch.full((3,), prior), prior)) == pytest.approx(0.0, abs=1e-6)   # KL(p‖p) = 0


def test_the_proposals_printed_kl_is_a_different_quantity():
    """The proposal's Eq. (6) reads Σ lnΓ(α) − Σ log(α̂) + Σ (α̂ − α) ψ(α): not zero at α̂ = α (so not a KL)."""
    a = torch.tensor([0.5, 2.0, 4.0])
    printed = (torch.lgamma(a) - torch.log(a) + (a - a) * torch.digamma(a)).sum()
    assert abs(float(printed)) > 0.1 and float(autoencoders.multigamma_kl(a, a)) == pytest.approx(0.0, abs=1e-6)


def test_gaussian_kl_matches_torch():
    mu, logvar = torch.randn(5, 7, dtype=torch.float64), torch.randn(5, 7, dtype=torch.float64)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(autoencoders.gaussian_kl(mu, logvar), ref)


def test_eq7_inverts_the_small_x_gamma_cdf_and_approaches_the_exact_inverse():
    u = torch.tensor([1e-4, 1e-2, 0.1, 0.5, 0.9], dtype=torch.float64)
    for a in (0.05, 0.1, 0.3, 1.0, 2.0):
        alpha = torch.tensor(a, dtype=torch.float64)
        x = autoencoders.gamma_icdf_approx(u, alpha).exp()
        # exactly the inverse of P(α, x) ≈ x^α / (α Γ(α)) ...
        assert torch.allclose(x ** a / (a * math.gamma(a)), u, rtol=1e-10)
        exact = sp.gammaincinv(a, u.numpy())
        rel = np.abs(x.numpy() / exact - 1)
        # ... which is the true inverse CDF as u -> 0, and for small α over most of (0, 1)
        assert rel[0] < 0.01
        if a <= 0.1:
            assert rel[:4].max() < 0.01
    # and off it for α >= 1 at the median: the approximation Joo et al. accept
    assert float(autoencoders.gamma_icdf_approx(torch.tensor(0.5), torch.tensor(2.0)).exp()) < 0.7 * sp.gammaincinv(2.0, 0.5)


def test_dirichlet_samples_are_per_row_on_the_simplex_and_differentiable():
    torch.manual_seed(0)
    alpha = torch.tensor([[0.05, 0.1, 0.2, 0.4], [3.0, 1.0, 0.5, 0.2]], requires_grad=True)
    u = torch.rand(2, 4)
    z = autoencoders.dirichlet_rsample(alpha, u)
    assert torch.allclose(z.sum(1), torch.ones(2)) and (z >= 0).all()
    other = alpha.detach().clone()
    other[1] = torch.tensor([9.0, 9.0, 9.0, 9.0])
    assert torch.equal(autoencoders.dirichlet_rsample(other, u)[0], z[0].detach())      # row 0 depends on its own α only
    (z[:, 0]).sum().backward()
    assert alpha.grad.abs().sum() > 0
    # for small α, Eq. (7) is nearly exact: the sample mean is the Dirichlet mean α/Σα
    a = torch.tensor([0.05, 0.1, 0.2, 0.4])
    mean = autoencoders.dirichlet_rsample(a.repeat(200_000, 1)).mean(0)
    assert torch.allclose(mean, a / a.sum(), atol=3e-3)


def test_soft_pooling_limits_are_max_and_mean_pooling():
    torch.manual_seed(0)
    z = torch.randn(2, 3, 6, 8, dtype=torch.float64)
    what, where = autoencoders.soft_pool(z, 2, beta=1e4)
    mx, idx = F.max_pool2d(z, 2, return_indices=True)
    assert torch.allclose(what, mx)
    col, row = (idx % 8).double(), (idx // 8).double()   # argmax cell of each window -> (x, y) in {−1, 1}
    assert torch.allclose(where[..., 0], (col % 2) * 2.0 - 1) and torch.allclose(where[..., 1], (row % 2) * 2.0 - 1)
    what0, where0 = autoencoders.soft_pool(z, 2, beta=1e-8)
    assert torch.allclose(what0, F.avg_pool2d(z, 2)) and where0.abs().max() < 1e-6
    z3 = torch.randn(1, 1, 3, 3, dtype=torch.float64)   # a 3x3 window: positions −1, 0, 1
    assert torch.allclose(autoencoders.soft_pool(z3, 3, beta=1e4)[1].flatten(),
                          torch.tensor([(int(z3.argmax()) % 3) - 1.0, (int(z3.argmax()) // 3) - 1.0], dtype=torch.float64))


def test_soft_unpooling_at_hard_switches_is_max_unpooling_and_keeps_the_mass():
    torch.manual_seed(0)
    z = torch.randn(2, 3, 6, 8, dtype=torch.float64)
    mx, idx = F.max_pool2d(z, 2, return_indices=True)
    _, where = autoencoders.soft_pool(z, 2, beta=1e4)
    assert torch.allclose(autoencoders.soft_unpool(mx, where, 2), F.max_unpool2d(mx, idx, 2, output_size=z.shape[-2:]), atol=1e-5)
    what, where = autoencoders.soft_pool(z, 2, beta=1.0)
    out = autoencoders.soft_unpool(what, where, 2)
    assert out.shape == z.shape and torch.allclose(out.sum((2, 3)), what.sum((2, 3)))


def test_swwae_loss_is_eq3_and_no_decoder_is_the_plain_convnet():
    torch.manual_seed(0)
    x, y = torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))
    m = autoencoders.SWWAE(channels=(8, 16), image_size=16, lambda_rec=1.0, lambda_m=0.2).eval()
    loss, logits = m.objective(x, y)
    xs, wheres, sizes = m.encode(x)
    xh = m.decode(xs[-1], wheres, sizes)
    assert [t.shape for t in xh] == [t.shape for t in xs] and xh[-1] is xs[-1]
    by_hand = F.cross_entropy(logits, y) + ((x - xh[0]) ** 2).mean() + 0.2 * ((xs[1] - xh[1]) ** 2).mean()
    assert torch.allclose(loss, by_hand, atol=1e-6)
    plain = autoencoders.SWWAE(channels=(8, 16), image_size=16, lambda_rec=0, lambda_m=0).eval()
    assert plain.decoder is None
    l2, lg = plain.objective(x, y)
    assert torch.allclose(l2, F.cross_entropy(lg, y)) and torch.allclose(lg, plain(x))
    soft = autoencoders.SWWAE(channels=(8, 16), image_size=16, pool_beta=5.0)
    soft.objective(x, y)[0].backward()
    assert all(p.grad is not None for p in soft.parameters())
    with pytest.raises(ValueError, match="lambda"):
        autoencoders.SWWAE(lambda_rec=-1)


def test_vae_objective_is_reconstruction_plus_beta_kl():
    x = torch.rand(6, 1, 28, 28)
    for latent in ("gaussian", "dirichlet"):
        m = autoencoders.VAE(latent=latent, k=10, hidden=32, beta=4.0)
        torch.manual_seed(1)
        out = m(x)
        torch.manual_seed(1)
        rec, kl = m.terms(x)
        assert out.shape == (6,) and torch.allclose(out, rec + 4.0 * kl) and (kl >= -1e-5).all()
        code = m.code(x)
        assert code.shape == (6, 10)
        if latent == "dirichlet":
            assert torch.allclose(code.sum(1), torch.ones(6))
    with pytest.raises(ValueError, match="latent"):
        autoencoders.VAE(latent="beta")


def test_swwdirvae_returns_per_sample_losses_and_a_reshaped_latent():
    torch.manual_seed(0)
    m = autoencoders.SWWDirVAE(channels=(8, 16), image_size=16, latent_shape=(2, 4, 4), beta=2.0)
    x = torch.randn(3, 3, 16, 16)
    loss = m(x)
    assert loss.shape == (3,) and torch.isfinite(loss).all()
    loss.mean().backward()
    assert m.latent.proj.weight.grad.abs().sum() > 0
    code = m.code(x)
    assert code.shape == (3, 2, 4, 4) and torch.allclose(code.mean((1, 2, 3)), torch.ones(3))
