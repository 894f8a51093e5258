"""Grafting: (A, A) is plain A; each step has M's norm and D's direction per tensor; D sees the gradient
M saw even when M (K-FAC with rewrite_grad) overwrites .grad — unless the guard is switched off."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.optim import kfac
from lib.optim.graft import Graft


def setup():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    x, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    return model, x, y


def train(model, opt, x, y, steps=5, step=None):
    for _ in range(steps):
        if step is not None:
            step(model, opt, x, y, F.cross_entropy)
            continue
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("make", [lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: torch.optim.Adam(ps, lr=0.01)], ids=["SGD", "Adam"])
def test_graft_a_a_equals_a(make):
    model, x, y = setup()
    plain = train(model, make(model.parameters()), x, y)
    model, x, y = setup()
    grafted = train(model, Graft(make(model.parameters()), make(model.parameters())), x, y)
    for p, q in zip(plain, grafted):
        torch.testing.assert_close(p, q)


def child_steps(M, D, model, x, y):
    """Each child's own step from the same weights and gradient (on copies)."""
    out = []
    for make in (M, D):
        m2 = setup()[0]
        m2.load_state_dict(model.state_dict())
        w0 = [p.detach().clone() for p in m2.parameters()]
        train(m2, make(m2.parameters()), x, y, steps=1)
        out.append([p.detach() - w for p, w in zip(m2.parameters(), w0)])
    return out


def test_step_has_magnitude_of_m_and_direction_of_d():
    M = lambda ps: torch.optim.SGD(ps, lr=0.5)
    D = lambda ps: torch.optim.Adam(ps, lr=0.01)
    model, x, y = setup()
    dm, dd = child_steps(M, D, model, x, y)
    w0 = [p.detach().clone() for p in model.parameters()]
    train(model, Graft(M(model.parameters()), D(model.parameters())), x, y, steps=1)
    for p, w, a, b in zip(model.parameters(), w0, dm, dd):
        step = p.detach() - w
        torch.testing.assert_close(step.norm(), a.norm())                         # size from M
        torch.testing.assert_close(step / step.norm(), b / b.norm())              # direction from D


@pytest.mark.parametrize("restore", [True, False])
def test_d_sees_the_unmodified_gradient_unless_the_guard_is_off(restore):
    model, x, y = setup()
    # first-batch factors: from the identity start, K-FAC's first step would be ≈ the gradient's direction itself
    M = kfac.KFAC(model, lr=0.1, momentum=0, weight_decay=0, stats_every=1, rewrite_grad=True, init="first_batch")
    D = torch.optim.SGD(model.parameters(), lr=0.1)
    g = Graft(M, D, restore_grad=restore)
    w0 = [p.detach().clone() for p in model.parameters()]
    torch.manual_seed(1)
    kfac.fisher_step(model, g, x, y, F.cross_entropy)
    # the raw gradient at w0, recomputed
    m2 = setup()[0]
    F.cross_entropy(m2(x), y).backward()
    cos = [F.cosine_similarity(-(p.detach() - w).flatten(), q.grad.flatten(), dim=0)
           for p, w, q in zip(model.parameters(), w0, m2.parameters())]
    if restore:
        assert all(c > 0.9999 for c in cos)        # D = SGD: the direction is the raw gradient's
        assert g.alignment < 0.99                  # ... which is not K-FAC's
    else:
        assert min(c for c in cos) < 0.99          # D read K-FAC's rewritten .grad: K-FAC's direction
        assert g.alignment > 0.9999                # D's step is M's


def test_graft_rejects_mismatched_or_shared_optimizers():
    model, _, _ = setup()
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="separate"):
        Graft(sgd, sgd)
    with pytest.raises(ValueError, match="same parameters"):
        Graft(sgd, torch.optim.SGD(list(model.parameters())[:2], lr=0.1))


def test_scheduler_on_the_graft_drives_m():
    model, _, _ = setup()
    M, D = torch.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(Graft(M, D), milestones=[1], gamma=0.1)
    sched.optimizer.step()
    sched.step()
    assert M.param_groups[0]["lr"] == pytest.approx(0.01)
