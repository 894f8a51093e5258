"""SAM against its formula (Foret et al., Eq. 2 and the gradient at w + ε̂), ASAM's variant, BatchNorm
statistics from the first pass only, state round trip; EfficientNet-B0's size against Tan & Le's table."""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad

from lib import optim
from lib.measure import complexity
from lib.models.efficientnet import OnFrozenEncoder, efficientnet_cifar
from lib.optim.sam import SAM, sam_step


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))


def _loss_of(model, x, y):
    return lambda params: F.cross_entropy(functional_call(model, params, (x,)), y)


@pytest.mark.parametrize("adaptive", [False, True])
def test_sam_step_is_the_base_step_with_the_gradient_at_w_plus_eps(adaptive):
    model, rho, lr = _net(), 0.07, 0.3
    x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    w = {k: v.detach().clone() for k, v in model.named_parameters()}
    g = grad(_loss_of(model, x, y))(w)
    if adaptive:      # ε̂ = ρ T² g / ‖T g‖, T = |w|
        norm = torch.sqrt(sum(((w[k].abs() * g[k]) ** 2).sum() for k in w))
        eps = {k: rho * w[k].abs() ** 2 * g[k] / norm for k in w}
    else:             # ε̂ = ρ g / ‖g‖ (the norm over all parameters together)
        norm = torch.sqrt(sum((g[k] ** 2).sum() for k in w))
        eps = {k: rho * g[k] / norm for k in w}
    g_adv = grad(_loss_of(model, x, y))({k: w[k] + eps[k] for k in w})
    expected = {k: w[k] - lr * g_adv[k] for k in w}

    opt = SAM(torch.optim.SGD(model.parameters(), lr=lr), rho=rho, adaptive=adaptive)
    F.cross_entropy(model(x), y).backward()
    for e, (k, _) in zip(opt.perturbation(), model.named_parameters()):
        assert torch.allclose(e, eps[k], atol=1e-7)
    opt.zero_grad()
    sam_step(model, opt, x, y, F.cross_entropy)
    for k, p in model.named_parameters():
        assert torch.allclose(p, expected[k], atol=1e-6), k


def test_sam_perturbation_has_norm_rho_and_the_first_pass_alone_moves_batchnorm():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    ref = copy.deepcopy(model)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    opt = SAM(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), rho=0.05)
    sam_step(model, opt, x, y, F.cross_entropy)
    ref(x)                                            # one plain training-mode pass
    assert torch.allclose(model[1].running_mean, ref[1].running_mean)
    assert torch.allclose(model[1].running_var, ref[1].running_var)
    F.cross_entropy(model(x), y).backward()
    e = opt.perturbation()
    assert float(torch.sqrt(sum((t ** 2).sum() for t in e))) == pytest.approx(0.05, rel=1e-5)


def test_sam_state_round_trip_scheduler_and_bad_rho():
    model = _net()
    opt = SAM(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), rho=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    sam_step(model, opt, x, y, F.cross_entropy)
    sched.step()
    assert opt.base.param_groups[0]["lr"] < 0.1       # the scheduler drives the base optimizer
    other = SAM(torch.optim.SGD(_net().parameters(), lr=0.1, momentum=0.9))
    other.load_state_dict(opt.state_dict())
    assert other.base.state_dict()["state"].keys() == opt.base.state_dict()["state"].keys()
    with pytest.raises(ValueError, match="rho"):
        SAM(torch.optim.SGD(model.parameters(), lr=0.1), rho=0)
    spec = {"name": "sam", "rho": 0.05, "base": {"name": "sgd", "lr": 0.1}}
    assert isinstance(optim.make_optimizer(spec, model), SAM)


def test_efficientnet_b0_matches_tan_and_le():
    """B0 at 224 with 1000 classes: 5.3M parameters and 0.39B FLOPs (Tan & Le, Table 2); width=depth=1 is
    torchvision's efficientnet_b0 exactly."""
    import torchvision
    ours = efficientnet_cifar(num_classes=1000, stem_stride=2)
    assert complexity.params(ours) == complexity.params(torchvision.models.efficientnet_b0()) == 5_288_548
    assert complexity.flops(ours, 224) / 1e9 == pytest.approx(0.39, abs=0.01)
    small = efficientnet_cifar(num_classes=10, width=0.5, depth=0.5, in_chans=4)
    assert small(torch.randn(2, 4, 16, 16)).shape == (2, 10)


def test_frozen_encoder_stays_frozen_and_in_eval_mode():
    from lib.models.autoencoders import SWWDirVAE
    enc = SWWDirVAE(channels=(4, 8), image_size=16, latent_shape=(2, 4, 4))
    model = OnFrozenEncoder(enc, efficientnet_cifar(num_classes=10, in_chans=2, width=0.25, depth=0.25)).train()
    assert not enc.training and all(not p.requires_grad for p in enc.parameters())
    before = enc.encoder[0][1].running_mean.clone()
    F.cross_entropy(model(torch.randn(4, 3, 16, 16)), torch.randint(0, 10, (4,))).backward()
    assert torch.equal(before, enc.encoder[0][1].running_mean)
    assert all(p.grad is None for p in enc.parameters())
