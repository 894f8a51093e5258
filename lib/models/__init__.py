"""Models: one architecture per module, shared pieces in ``layers``. Each registers itself in :data:`MODELS`
under the name a run config uses (``"model": "mixer"``); a model is built as
``MODELS.get(name)(**model_kwargs, num_classes=...)``."""
import torchvision

from lib.registry import Registry

MODELS = Registry("model")
MODELS.register("regnet_y_16gf")(torchvision.models.regnet_y_16gf)   # the ResMLP paper's distillation teacher

# importing the modules registers their models
from lib.models import autoencoders, cifar_resnets, convnets, efficientnet, mixer, resmlp  # noqa: E402, F401
