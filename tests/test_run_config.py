"""Run configs: one builder, unknown keys rejected, and every committed run record still found under its key."""
import json

import pytest

from lib import ROOT, experiment, profiles, runs
from lib.chapters import mi_lr

COMMITTED = ROOT / "results"          # the committed records (the tests' own store is elsewhere)
RECORDS = sorted(COMMITTED.glob("*/*/config.json"))


@pytest.mark.skipif(not RECORDS, reason="no run records in results/")
def test_every_committed_record_is_a_valid_config_found_under_its_key():
    for path in RECORDS:
        config = json.loads(path.read_text())
        assert experiment.check_config(config) is config
        assert runs.run_dir(config, COMMITTED) == path.parent, f"{path}: its config hashes to another folder"


def test_the_builder_writes_optional_keys_only_when_given():
    P = profiles.check("04_mi_learning_rate", profile="smoke")
    plain = mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=0)
    kept = mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=0, keep_weights=True)
    assert set(plain) == {*experiment.REQUIRED, "mi"} and set(kept) == set(plain) | {"keep_weights"}
    assert (plain["profile"], plain["max_steps"]) == ("smoke", None)
    assert runs.key(plain) != runs.key(kept)


@pytest.mark.parametrize("change, message", [
    ({"learning_rate": 0.1}, r"unknown key\(s\) \['learning_rate'\]"),
    ({"model": "transformer"}, "unknown model 'transformer'; valid: .*mixer"),
    ({"optimizer": {"name": "adagrad"}}, "unknown optimizer 'adagrad'; valid: adam"),
    ({"schedule": "linear"}, "unknown schedule 'linear'; valid: actcoolr"),
])
def test_a_bad_config_fails_naming_the_valid_values(change, message):
    P = profiles.check("04_mi_learning_rate", profile="smoke")
    with pytest.raises(ValueError, match=message):
        experiment.check_config({**mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=0), **change})


def test_a_missing_key_fails():
    P = profiles.check("04_mi_learning_rate", profile="smoke")
    config = mi_lr.config(P, data="mnist", lr=0.01, schedule=None, seed=0)
    del config["batch"]
    with pytest.raises(ValueError, match=r"missing key\(s\) \['batch'\]"):
        experiment.run_classifier(config)


def test_the_step_comes_from_the_optimizer_then_the_model_then_the_recipe():
    from lib import optim, train
    from lib.models import MODELS, autoencoders
    from lib.optim import kfac, sam
    net = MODELS.get("convnet")(widths=[4], convs=1, num_classes=10)
    step = lambda model, spec, c=None: experiment.choose_step(c or {}, model, optim.make_optimizer(spec, model), 10, "cpu")
    assert step(net, {"name": "kfac", "lr": 1e-3}) is kfac.fisher_step
    assert step(net, {"name": "sam", "base": {"name": "sgd", "lr": 0.1}}) is sam.sam_step
    assert step(net, {"name": "graft", "magnitude": {"name": "sgd", "lr": 0.1},
                      "direction": {"name": "kfac", "lr": 1e-3}}) is kfac.fisher_step
    assert step(net, {"name": "sgd", "lr": 0.1}) is train.standard_step
    swwae = MODELS.get("swwae")(channels=(4,), num_classes=10)
    dirvae = MODELS.get("swwdirvae")(channels=(4,), latent_shape=(1, 4, 4))
    assert step(swwae, {"name": "sgd", "lr": 0.1}) is autoencoders.objective_step      # its supervised objective
    assert step(dirvae, {"name": "sgd", "lr": 0.1}) is train.standard_step           # no labels: forward's loss
    deit = step(net, {"name": "sgd", "lr": 0.1}, {"regularize": {"smoothing": 0.1}})
    assert type(deit).__name__ == "DeitStep"
