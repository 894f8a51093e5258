"""lib/models/cifar_resnets.py against the papers' parameter counts, and FixUp's initialisation."""
import pytest
import torch

from lib.measure.complexity import params
from lib.models import cifar_resnets


@pytest.mark.parametrize("build, millions", [
    (lambda: cifar_resnets.resnet_cifar(32), 0.46),                                             # He et al. 2016, Table 6
    (lambda: cifar_resnets.resnet_cifar(110), 1.7),
    (lambda: cifar_resnets.pyramidnet(110, alpha=48), 1.7),                                      # Han et al. 2017
    (lambda: cifar_resnets.resnet18_cifar(), 11.17), (lambda: cifar_resnets.vgg16_cifar(), 14.73)], ids=["resnet32", "resnet110",
                                                                                 "pyramidnet110", "resnet18", "vgg16"])
def test_parameter_counts(build, millions):
    digits = len(str(millions).split(".")[1])
    assert round(params(build()) / 1e6, digits) == millions


def test_variants_run_and_fixup_starts_as_identity_branches_and_zero_output():
    x = torch.randn(2, 3, 32, 32)
    for m in (cifar_resnets.resnet_cifar(32, shortcut=False), cifar_resnets.resnet_cifar(32, alpha=48),
              cifar_resnets.pyramidnet(20)):
        assert m(x).shape == (2, 10)
    f = cifar_resnets.resnet_cifar(32, fixup=True).eval()
    assert torch.equal(f(x), torch.zeros(2, 10))                               # the head starts at 0
    assert not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in f.modules())
    blk = f.blocks[0]
    h = torch.relu(torch.randn(2, 16, 32, 32))
    torch.testing.assert_close(blk(h), h)                                      # branch starts at 0: identity
    with pytest.raises(ValueError, match="6n"):
        cifar_resnets.resnet_cifar(33)
