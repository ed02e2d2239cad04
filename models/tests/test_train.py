import json

import pytest
import torch

from sparkseg_models import export, train
from sparkseg_models.model import build_model

TINY = {"fpn_channels": 32, "box_repr": 64, "mask_channels": 32, "keypoint_channels": 32, "keypoint_layers": 2,
        "mask_layers": 2}


def test_training_continues_from_a_bundle(tmp_path):
    torch.manual_seed(4)
    model = build_model(TINY).eval()
    with torch.no_grad():   # a marker no fresh initialization would produce
        model.roi_heads.box_predictor.cls_score.weight.fill_(0.3)
    cfg = model.sparkseg_config
    export.write_bundle(model, str(tmp_path / "bundle"), export.default_categories(), 320, 512,
                        training={"model_config": cfg, "iterations": 1000})
    train.main(["--out", str(tmp_path / "run"), "--init-bundle", str(tmp_path / "bundle"), "--budget-min", "0.05",
                "--batch", "1", "--workers", "0", "--warmup", "5", "--train-min-sizes", "128"])
    ck = torch.load(tmp_path / "run" / "last.pt", map_location="cpu")
    assert ck["config"] == cfg
    assert ck["iteration"] > 1000          # counted on from the bundle's record
    # it trained from the bundle's weights: a few small steps away from them, not from a new random init
    step = (ck["model"]["roi_heads.box_predictor.cls_score.weight"] - 0.3).abs().max().item()
    assert 0 < step < 0.05, step
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "initialized from bundle" in log and json.dumps(cfg) in log


def test_training_adds_the_fine_level_to_a_bundle_without_it(tmp_path):
    torch.manual_seed(7)
    model = build_model(TINY).eval()
    cfg = model.sparkseg_config
    export.write_bundle(model, str(tmp_path / "bundle"), export.default_categories(), 320, 512,
                        training={"model_config": cfg, "iterations": 10})
    train.main(["--out", str(tmp_path / "run"), "--init-bundle", str(tmp_path / "bundle"), "--budget-min", "0.05",
                "--batch", "1", "--workers", "0", "--warmup", "5", "--train-min-sizes", "128",
                "--config", '{"fine_level": true}'])
    ck = torch.load(tmp_path / "run" / "last.pt", map_location="cpu")
    assert ck["config"]["fine_level"] is True
    # the old stride-8 lateral moved to index 1; the new stride-4 lateral started at zero
    old = model.state_dict()["backbone.fpn.inner_blocks.0.0.weight"]
    assert ck["model"]["backbone.fpn.inner_blocks.1.0.weight"].shape == old.shape
    assert (ck["model"]["backbone.fpn.inner_blocks.1.0.weight"] - old).abs().max() < 0.05
    assert ck["model"]["backbone.fpn.inner_blocks.0.0.weight"].abs().max() < 0.05
    assert 'grew the bundle\'s architecture by {"fine_level": true}' in (tmp_path / "run" / "log.txt").read_text()


def test_training_refuses_to_remove_an_option_from_a_bundle(tmp_path):
    model = build_model(dict(TINY, deep_taps=True)).eval()
    export.write_bundle(model, str(tmp_path / "bundle"), export.default_categories(), 320, 512,
                        training={"model_config": model.sparkseg_config, "iterations": 10})
    with pytest.raises(SystemExit):
        train.main(["--out", str(tmp_path / "run"), "--init-bundle", str(tmp_path / "bundle"), "--budget-min", "0.05",
                    "--config", '{"deep_taps": false}'])


def test_training_only_the_named_heads_leaves_everything_else_as_loaded(tmp_path):
    torch.manual_seed(11)
    model = build_model(TINY).eval()
    cfg = model.sparkseg_config
    export.write_bundle(model, str(tmp_path / "bundle"), export.default_categories(), 320, 512,
                        training={"model_config": cfg, "iterations": 10})
    before = export.load_bundle_model(str(tmp_path / "bundle"))[0].state_dict()
    train.main(["--out", str(tmp_path / "run"), "--init-bundle", str(tmp_path / "bundle"), "--budget-min", "0.05",
                "--batch", "1", "--workers", "0", "--warmup", "2", "--train-min-sizes", "128",
                "--train-only", "roi_heads.mask_,roi_heads.keypoint_"])
    after = torch.load(tmp_path / "run" / "last.pt", map_location="cpu")["model"]
    trained = [k for k in before if k.startswith(("roi_heads.mask_", "roi_heads.keypoint_"))]
    # weights, and the backbone's BatchNorm running statistics, outside the named heads: bit-identical
    assert all(torch.equal(before[k], after[k]) for k in before if k not in trained)
    assert any(k.startswith("backbone.body") and k.endswith("running_mean") for k in before)
    assert any(not torch.equal(before[k], after[k]) for k in trained if k.startswith("roi_heads.mask_"))
    assert any(not torch.equal(before[k], after[k]) for k in trained if k.startswith("roi_heads.keypoint_"))


def test_training_refuses_a_prefix_that_names_no_parameter(tmp_path):
    model = build_model(TINY).eval()
    export.write_bundle(model, str(tmp_path / "bundle"), export.default_categories(), 320, 512,
                        training={"model_config": model.sparkseg_config, "iterations": 10})
    with pytest.raises(ValueError, match="roi_heads.mask_hed"):
        train.main(["--out", str(tmp_path / "run"), "--init-bundle", str(tmp_path / "bundle"),
                    "--budget-min", "0.05", "--workers", "0", "--train-only", "roi_heads.mask_hed"])
    with pytest.raises(ValueError, match="nothing would train"):
        train.main(["--out", str(tmp_path / "run"), "--init-bundle", str(tmp_path / "bundle"),
                    "--budget-min", "0.05", "--workers", "0", "--train-only", " , "])
