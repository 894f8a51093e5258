"""lib/deit.py: the DeiT step computes the losses it states (label smoothing, mixup targets, DeiT's
hard-label distillation), and bad settings fail at once."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib import deit


def net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 5))


def loss_of_step(step, model, x, y):
    """The loss the step reports, and check it trained (weights moved)."""
    before = [p.detach().clone() for p in model.parameters()]
    loss, out = step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    return float(loss)


def test_hard_label_distillation_is_half_true_half_teacher_label():
    x, y = torch.randn(8, 3, 2, 2), torch.randint(0, 5, (8,))
    teacher = net(1)
    student = net(0)
    with torch.no_grad():
        out = student(x)
        expected = 0.5 * F.cross_entropy(out, y) + 0.5 * F.cross_entropy(out, teacher(x).argmax(1))
    step = deit.DeitStep(deit.Regularize(), num_classes=5, teacher=teacher)
    assert loss_of_step(step, student, x, y) == pytest.approx(float(expected), rel=1e-6)
    assert all(not p.requires_grad for p in teacher.parameters()) and not teacher.training


def test_label_smoothing_loss_is_the_formula():
    x, y = torch.randn(8, 3, 2, 2), torch.randint(0, 5, (8,))
    model = net()
    with torch.no_grad():
        logp = model(x).log_softmax(1)
    eps = 0.1
    expected = ((1 - eps) * -logp.gather(1, y[:, None]).squeeze(1) - eps * logp.mean(1)).mean()
    step = deit.DeitStep(deit.Regularize(smoothing=eps), num_classes=5)
    assert loss_of_step(step, model, x, y) == pytest.approx(float(expected), rel=1e-5)


def test_mixup_targets_are_distributions_and_erasing_changes_pixels():
    torch.manual_seed(0)
    step = deit.DeitStep(deit.Regularize(mixup=0.8, cutmix=1.0, smoothing=0.1, erasing=1.0), num_classes=5)
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 5, (8,))
    erased = step.erase(x.clone())
    assert all((erased[i] != x[i]).any() for i in range(8))         # probability 1: every image erased somewhere
    seen = []

    def recording_loss(out, targets):
        seen.append(targets)
        return F.cross_entropy(out, targets)

    step.loss = recording_loss
    model = nn.Sequential(nn.Flatten(), nn.Linear(768, 5))
    step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    t = seen[0]
    assert t.shape == (8, 5) and torch.allclose(t.sum(1), torch.ones(8)) and (t > 0).all()   # smoothed, mixed


@pytest.mark.parametrize("bad", [dict(mixup=-1), dict(smoothing=1.0), dict(erasing=1.5), dict(cutmix="a")],
                         ids=["mixup<0", "smoothing=1", "erasing>1", "cutmix-text"])
def test_bad_settings_fail(bad):
    with pytest.raises(ValueError):
        deit.Regularize(**bad)
