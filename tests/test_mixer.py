"""MLP-Mixer: parameter counts of the Mixer paper, shapes, and equality with timm's implementation."""
import pytest
import timm
import torch

from lib.models import mixer


@pytest.mark.parametrize("name, millions", [("B/16", 59.9), ("S/16", 18.5)])
def test_parameter_count_matches_the_mixer_paper(name, millions):
    n = sum(p.numel() for p in mixer.mixer(name, num_classes=1000).parameters())
    assert round(n / 1e6, 1) == millions


def test_forward_shapes_and_unknown_config():
    m = mixer.MLPMixer(image_size=32, patch=4, dim=16, depth=2, token_hidden=8, channel_hidden=32, num_classes=7)
    assert m(torch.randn(3, 3, 32, 32)).shape == (3, 7)
    assert m.blocks[0].token_mixing.fc1.in_features == 64          # 64 tokens on 32×32 with patch 4
    with pytest.raises(ValueError, match="S/4"):
        mixer.mixer("L/16", num_classes=10)


def test_same_function_as_timm_given_the_same_weights(tmp_path):
    """A timm checkpoint loads into ours and gives timm's outputs (timm's random weights; no download)."""
    torch.manual_seed(0)
    theirs = timm.create_model("mixer_s16_224", pretrained=False, num_classes=10).eval()
    path = tmp_path / "mixer_s16.pth"
    torch.save(theirs.state_dict(), path)
    ours = mixer.mixer("S/16", num_classes=10).eval()
    mixer.load_pretrained(ours, str(path))
    ours.head.load_state_dict(theirs.head.state_dict())
    eps = lambda model: {m.eps for m in model.modules() if isinstance(m, torch.nn.LayerNorm)}
    assert eps(ours) == eps(theirs) == {1e-6}                     # the original Mixer's, not torch's 1e-5
    x = torch.randn(2, 3, 224, 224)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="does not fit"):
        mixer.load_pretrained(mixer.mixer("B/16", num_classes=10), str(path))
