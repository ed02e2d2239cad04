import json
import os

import numpy as np
import pytest
import torch
from torch import nn
import torch.nn.functional as F

from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList

from torchvision.models.detection.roi_heads import paste_masks_in_image

from sparkseg_models import export, ops
from sparkseg_models.boxes import scale_boxes
from sparkseg_models.model import build_model

TINY = {"fpn_channels": 32, "box_repr": 64, "mask_channels": 32, "keypoint_channels": 32, "keypoint_layers": 2,
        "mask_layers": 2, "box_score_thresh": 0.0, "box_detections_per_img": 20}


def _resize_like_torchvision(img, min_size, max_size):
    h, w = img.shape[-2:]
    scale = torch.min(min_size / torch.tensor(float(min(h, w))), max_size / torch.tensor(float(max(h, w)))).item()
    return F.interpolate(img[None], scale_factor=scale, mode="bilinear", recompute_scale_factor=True,
                         align_corners=False)[0]


def test_scripted_tiny_model_has_no_torchvision_ops_and_runs_two_sizes(tmp_path):
    torch.manual_seed(0)
    model = build_model(TINY).eval()
    meta = export.write_bundle(model, str(tmp_path), export.default_categories(), 320, 512)
    pt = tmp_path / "model.pt"
    assert export.torchvision_ops_in_archive(str(pt)) == []
    assert meta["sha256"] == export.sha256_of(str(pt))
    js = json.load(open(tmp_path / "model.json"))
    assert js["format"] == "sparkseg-bundle/1" and js["output"]["num_keypoints"] == 17
    assert js["categories"][0]["name"] == "person" and js["categories"][0]["label"] == 1
    m = torch.jit.load(str(pt))
    # the Java predictor shares one module between threads: forward must not write module state
    assert export.module_attribute_writes(m) == []
    for (h, w) in ((320, 480), (512, 352)):
        out = m(torch.rand(1, 3, h, w), torch.tensor([[h, w]]))
        assert len(out) == 7
        boxes, scores, labels, masks, kps, kps_scores, idx = out
        n = boxes.shape[0]
        assert n > 0 and masks.shape == (n, 1, 28, 28) and kps.shape == (n, 17, 3) and kps_scores.shape == (n, 17)
        assert labels.dtype == torch.int64 and idx.dtype == torch.int64
        assert (boxes[:, 2] <= w + 1e-3).all() and (boxes[:, 3] <= h + 1e-3).all()
    # a padded batch of two different images: image_index tells them apart
    x = torch.zeros(2, 3, 320, 480)
    x[0] = torch.rand(3, 320, 480)
    x[1, :, :300, :400] = torch.rand(3, 300, 400)
    out = m(x, torch.tensor([[320, 480], [300, 400]]))
    idx = out[6]
    assert set(idx.tolist()) <= {0, 1}
    b1 = out[0][idx == 1]
    assert (b1[:, 2] <= 400 + 1e-3).all() and (b1[:, 3] <= 300 + 1e-3).all()


def test_scripted_matches_eager_model(tmp_path):
    torch.manual_seed(1)
    model = build_model(TINY).eval()
    export.write_bundle(model, str(tmp_path), export.default_categories(), 320, 512)
    m = torch.jit.load(str(tmp_path / "model.pt"))
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        eager = model([img])[0]
        x = _resize_like_torchvision(img, 320.0, 512.0)
        h, w = x.shape[-2:]
        out = m(x[None], torch.tensor([[h, w]]))
    sx, sy = 420 / w, 300 / h
    boxes = out[0] * torch.tensor([sx, sy, sx, sy])
    assert torch.equal(out[2], eager["labels"])
    assert (boxes - eager["boxes"]).abs().max() < 0.05
    assert (out[1] - eager["scores"]).abs().max() < 1e-4


class _Counting(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0
        self.inner = torch.nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.inner(x)


class _Building(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        il = ImageList(x, [(1, 2)])  # writes attributes of an object it made: not shared state
        return il.tensors


def test_module_attribute_writes_finds_a_forward_that_changes_its_module(monkeypatch):
    assert export.module_attribute_writes(torch.jit.script(_Counting())) == ["_Counting.calls"]
    assert export.module_attribute_writes(torch.jit.script(_Building())) == []
    # export refuses such a forward: here torchvision's own AnchorGenerator, which re-assigns cell_anchors
    model = build_model(TINY).eval()
    model.rpn.anchor_generator.__class__ = AnchorGenerator
    monkeypatch.setattr(export, "make_stateless", lambda m: m)
    with pytest.raises(ValueError, match=r"writes module attributes \['AnchorGenerator.cell_anchors'\]"):
        export.script_bundle_module(model)


def test_embedded_bundle_reexported_matches_eager_and_computes_keypoints_for_persons_only(tmp_path):
    from PIL import Image
    samples = os.path.join(os.path.dirname(__file__), "..", "..", "samples")
    model, meta = export.load_bundle_model(os.path.join(samples, "model"))
    export.write_bundle(model, str(tmp_path), meta["categories"], 320, 512)
    m = torch.jit.load(str(tmp_path / "model.pt"))
    # validation images with persons and other categories
    for name in ("val_000000.jpg", "val_000003.jpg"):
        img = torch.from_numpy(np.asarray(Image.open(os.path.join(samples, "images", name)).convert("RGB")).copy())
        img = img.permute(2, 0, 1).float() / 255
        with torch.no_grad(), ops.native_torchvision():
            eager = model([img])[0]
        with torch.no_grad():
            x = _resize_like_torchvision(img, 320.0, 512.0)
            h, w = x.shape[-2:]
            out = m(x[None], torch.tensor([[h, w]]))
        sx, sy = img.shape[2] / w, img.shape[1] / h
        assert torch.equal(out[2], eager["labels"])
        assert (out[0] * torch.tensor([sx, sy, sx, sy]) - eager["boxes"]).abs().max() < 0.05
        person = out[2] == 1
        assert person.any() and (~person).any(), name
        kps = out[4][person].clone()
        kps[..., 0] *= sx
        kps[..., 1] *= sy
        assert (kps[..., :2] - eager["keypoints"][person][..., :2]).abs().max() < 0.5
        assert (out[5][person] - eager["keypoints_scores"][person]).abs().max() < 1e-3
        assert (out[4][~person] == 0).all() and (out[5][~person] == 0).all()


def test_rebundle_keeps_weights_and_metadata(tmp_path):
    torch.manual_seed(3)
    model = build_model(TINY).eval()
    first = export.write_bundle(model, str(tmp_path / "a"), export.default_categories(), 320, 512,
                                name="tiny", version="1.0.0", training={"model_config": TINY},
                                score_threshold=0.3)
    export.main(["rebundle", "--bundle", str(tmp_path / "a"), "--out", str(tmp_path / "b"), "--version", "1.1.0"])
    js = json.load(open(tmp_path / "b" / "model.json"))
    assert (js["name"], js["version"], js["thresholds"]["score"]) == ("tiny", "1.1.0", 0.3)
    assert js["categories"] == first["categories"]
    assert js["training"]["re_exported"]["from_sha256"] == first["sha256"]
    assert js["output"]["keypoint_labels"] == [1]
    x = torch.rand(1, 3, 320, 448)
    a = torch.jit.load(str(tmp_path / "a" / "model.pt"))(x, torch.tensor([[320, 448]]))
    b = torch.jit.load(str(tmp_path / "b" / "model.pt"))(x, torch.tensor([[320, 448]]))
    assert a[0].shape[0] > 0
    for ta, tb in zip(a, b):
        assert torch.equal(ta, tb)


def test_rebundle_changes_test_time_settings_only(tmp_path):
    torch.manual_seed(3)
    model = build_model(TINY).eval()
    export.write_bundle(model, str(tmp_path / "a"), export.default_categories(), 320, 512, name="tiny",
                        version="1.0.0", training={"model_config": TINY})
    settings = {"rpn_pre_nms_top_n_test": 7, "rpn_post_nms_top_n_test": 2}
    export.main(["rebundle", "--bundle", str(tmp_path / "a"), "--out", str(tmp_path / "b"), "--version", "1.0.1",
                 "--test-settings", json.dumps(settings)])
    js = json.load(open(tmp_path / "b" / "model.json"))
    assert js["training"]["re_exported"]["test_settings"] == settings
    assert "earlier" not in js["training"]["re_exported"]
    assert {k: js["training"]["model_config"][k] for k in settings} == settings
    assert "rpn_pre_nms_top_n_test 7, rpn_post_nms_top_n_test 2" in js["architecture"]
    eager, _ = export.load_bundle_model(str(tmp_path / "b"))
    assert (eager.rpn.pre_nms_top_n(), eager.rpn.post_nms_top_n()) == (7, 2)
    x = torch.rand(1, 3, 320, 448)
    a = torch.jit.load(str(tmp_path / "a" / "model.pt"))(x, torch.tensor([[320, 448]]))
    b = torch.jit.load(str(tmp_path / "b" / "model.pt"))(x, torch.tensor([[320, 448]]))
    # two proposals give at most two boxes per class
    assert b[0].shape[0] <= 2 * (TINY.get("num_classes", 7) - 1) < a[0].shape[0]
    with pytest.raises(ValueError, match="not test-time settings: \\['fpn_channels'\\]"):
        export.main(["rebundle", "--bundle", str(tmp_path / "a"), "--out", str(tmp_path / "c"), "--version", "1.0.1",
                     "--test-settings", '{"fpn_channels": 64}'])


def test_torchvision_checkpoint_conversion(tmp_path):
    import torchvision
    torch.manual_seed(2)
    tv = torchvision.models.detection.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3)
    sd_path = tmp_path / "tv.pth"
    torch.save(tv.state_dict(), sd_path)
    cats = tmp_path / "cats.json"
    cats.write_text(json.dumps([{"id": 1, "name": "person", "supercategory": "person"},
                                {"id": 3, "name": "car", "supercategory": "vehicle"}]))
    out = tmp_path / "bundle"
    export.main(["torchvision", "--arch", "maskrcnn_resnet50_fpn", "--state-dict", str(sd_path),
                 "--categories", str(cats), "--out", str(out), "--min-size", "320", "--max-size", "512"])
    js = json.load(open(out / "model.json"))
    assert js["format"] == "sparkseg-bundle/1"
    assert [c["label"] for c in js["categories"]] == [1, 2] and js["categories"][1]["id"] == 3
    assert js["output"]["has_keypoints"] is False and js["output"]["num_keypoints"] == 0
    rs = js["input"]["resize"]
    assert (rs["rule"], rs["min_size"], rs["max_size"]) == ("torchvision", 320, 512)
    assert export.torchvision_ops_in_archive(str(out / "model.pt")) == []
    m = torch.jit.load(str(out / "model.pt"))
    assert export.module_attribute_writes(m) == []
    res = m(torch.rand(1, 3, 320, 416), torch.tensor([[320, 416]]))
    assert res[3].shape[1:] == (1, 28, 28) and res[4].shape[1:] == (0, 3)
    os.remove(sd_path)


def test_a_zipped_bundle_loads_like_its_folder(tmp_path):
    import zipfile
    import pytest
    torch.manual_seed(11)
    tiny = build_model({"fpn_channels": 32, "box_repr": 64, "mask_channels": 32, "keypoint_channels": 32,
                        "keypoint_layers": 2, "mask_layers": 2}).eval()
    export.write_bundle(tiny, str(tmp_path / "b"), export.default_categories(), 320, 512,
                        training={"model_config": tiny.sparkseg_config})
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as z:       # one top folder, as `zip -r b.zip b` makes
        for name in ("model.json", "model.pt"):
            z.write(tmp_path / "b" / name, f"b/{name}")
    model, meta = export.load_bundle_model(str(tmp_path / "b.zip"))
    key = "roi_heads.box_predictor.cls_score.weight"
    assert torch.equal(model.state_dict()[key], tiny.state_dict()[key])
    assert meta["sha256"] == export.sha256_of(str(tmp_path / "b" / "model.pt"))
    (tmp_path / "notes.txt").write_text("not a zip")
    with pytest.raises(ValueError, match="not a zip archive"):
        export.load_bundle_model(str(tmp_path / "notes.txt"))
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as z:
        z.writestr("weights/model.pt", b"x")
        z.writestr("other/readme.txt", b"x")
    with pytest.raises(ValueError, match="model.json is missing"):
        export.load_bundle_model(str(tmp_path / "empty.zip"))


@pytest.mark.parametrize("extra", [{}, {"keypoint_box_scale": 1.4, "fine_level": True, "mask_refine_channels": 16},
                                   {"fine_level": True, "mask_refine_channels": 16, "mask_image_detail": True},
                                   {"fine_level": True, "mask_refine_channels": 16, "mask_image_detail": True,
                                    "keypoint_refine_channels": 16, "keypoint_context_layers": 1},
                                   {"fine_level": True, "mask_refine_channels": 16, "mask_image_detail": True,
                                    "flip_test": True},
                                   {"keypoint_box_scale": 1.35, "keypoint_test_box_scales": [1.2, 1.5]},
                                   {"fine_level": True, "mask_refine_channels": 16, "flip_test": True,
                                    "keypoint_box_scale": 1.35, "keypoint_test_box_scales": [1.2]},
                                   {"mask_test_box_scales": [1.1]},
                                   {"fine_level": True, "mask_refine_channels": 16, "flip_test": True,
                                    "mask_test_box_scales": [1.1, 1.3]}],
                         ids=["one-scale", "keypoint-scale-and-mask-refinement", "mask-refinement-with-image",
                              "both-refinements", "flip-test", "keypoint-test-scales", "flip-and-keypoint-test-scales",
                              "one-mask-test-scale", "flip-and-two-mask-test-scales"])
def test_scripted_margin_heads_match_eager_masks_and_keypoints_and_declare_the_paste_box(tmp_path, extra):
    torch.manual_seed(4)
    model = build_model(dict(TINY, head_box_scale=1.2, **extra)).eval()
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections: keypoints to compare
        if extra.get("mask_refine_channels"):
            # a trained refinement: its logits count (a fresh one adds zeros)
            nn.init.normal_(model.roi_heads.mask_predictor.refine_logits.weight, std=0.5)
        if extra.get("keypoint_refine_channels"):
            nn.init.normal_(model.roi_heads.keypoint_predictor.refine_logits.weight, std=0.5)
    meta = export.write_bundle(model, str(tmp_path), export.default_categories(), 320, 512)
    mask_scales = sorted(extra.get("mask_test_box_scales", [1.2]), reverse=True)
    paste_scale = mask_scales[0]
    assert meta["output"]["mask_box_scale"] == pytest.approx(paste_scale)
    assert meta["output"]["mask_resolution"] == (84 if len(mask_scales) > 1 else 28)
    assert meta["test_time"]["mask_box_scales"] == pytest.approx(mask_scales)
    assert meta["test_time"]["keypoint_box_scales"] == pytest.approx(
        [extra.get("keypoint_box_scale", 1.2)] + extra.get("keypoint_test_box_scales", []))
    m = torch.jit.load(str(tmp_path / "model.pt"))
    assert export.module_attribute_writes(m) == []
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        eager = model([img])[0]
        x = _resize_like_torchvision(img, 320.0, 512.0)
        h, w = x.shape[-2:]
        boxes, scores, labels, masks, kps, _, _ = m(x[None], torch.tensor([[h, w]]))
    assert torch.equal(labels, eager["labels"]) and labels.shape[0] > 0
    ratio = torch.tensor([420 / w, 300 / h, 420 / w, 300 / h])
    boxes = boxes * ratio
    assert (boxes - eager["boxes"]).abs().max() < 0.05
    # the raw masks belong to the enlarged box: pasted there they are the eager model's masks
    assert masks.shape[-1] == meta["output"]["mask_resolution"]
    pasted = paste_masks_in_image(masks, scale_boxes(boxes, paste_scale), (300, 420))
    a, b = pasted > 0.5, eager["masks"] > 0.5
    inter, union = (a & b).sum().item(), (a | b).sum().item()
    assert union > 0 and inter / union > 0.99
    persons = labels == 1
    assert persons.any()
    kp = kps[persons][..., :2] * ratio[:2]
    assert (kp - eager["keypoints"][persons][..., :2]).abs().max() < 0.1


def test_the_flip_is_a_per_call_switch_declared_in_model_json(tmp_path):
    torch.manual_seed(6)
    flipping = build_model(dict(TINY, flip_test=True)).eval()
    with torch.no_grad():
        flipping.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections
    plain = build_model(TINY).eval()
    plain.load_state_dict(flipping.state_dict())
    meta = export.write_bundle(flipping, str(tmp_path / "f"), export.default_categories(), 320, 512)
    assert meta["test_time"] == {"flip": True, "mask_box_scales": [1.0], "keypoint_box_scales": [1.0]}
    assert "flip" in meta["input"]["optional_inputs"]
    meta = export.write_bundle(plain, str(tmp_path / "p"), export.default_categories(), 320, 512)
    assert meta["test_time"] == {"flip": False, "mask_box_scales": [1.0], "keypoint_box_scales": [1.0]}
    assert "flip" in meta["input"]["optional_inputs"]
    f = torch.jit.load(str(tmp_path / "f" / "model.pt"))
    p = torch.jit.load(str(tmp_path / "p" / "model.pt"))
    x, sizes = torch.rand(1, 3, 320, 448), torch.tensor([[320, 448]])
    with torch.no_grad():
        by_default, on, off = f(x, sizes), f(x, sizes, torch.tensor([True])), f(x, sizes, torch.tensor([False]))
        plain_default, plain_on = p(x, sizes), p(x, sizes, torch.tensor([True]))
    assert by_default[0].shape[0] > 0 and (by_default[2] == 1).any()
    for a, b in ((by_default, on), (off, plain_default), (on, plain_on)):
        for i in range(7):
            assert torch.equal(a[i], b[i]), i
    assert torch.equal(on[0], off[0]) and torch.equal(on[1], off[1])  # same detections
    assert not torch.equal(on[3], off[3]) and not torch.equal(on[4], off[4])  # other masks and keypoints
    with pytest.raises(Exception, match="flip must be a tensor of one element"):
        f(x, sizes, torch.tensor([True, False]))


def test_a_left_keypoint_without_its_right_one_leaves_the_flip_out(tmp_path):
    torch.manual_seed(7)
    model = build_model(TINY).eval()
    cats = export.default_categories()
    # a left ankle without its right one: the flip would have nothing to swap it with
    cats[0] = dict(cats[0], keypoints=[n if n != "right_ankle" else "tail" for n in cats[0]["keypoints"]])
    meta = export.write_bundle(model, str(tmp_path), cats, 320, 512)
    assert "flip" not in meta["input"]["optional_inputs"] and meta["test_time"]["flip"] is False
    m = torch.jit.load(str(tmp_path / "model.pt"))
    x, sizes = torch.rand(1, 3, 320, 448), torch.tensor([[320, 448]])
    assert m(x, sizes, torch.tensor([False]))[0].shape == m(x, sizes)[0].shape
    with pytest.raises(Exception, match="cannot flip"):
        m(x, sizes, torch.tensor([True]))


def test_rebundle_with_keypoint_test_box_scales_moves_keypoints_only(tmp_path):
    torch.manual_seed(12)
    cfg = dict(TINY, head_box_scale=1.2, keypoint_box_scale=1.35)
    model = build_model(cfg).eval()
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections
    export.write_bundle(model, str(tmp_path / "a"), export.default_categories(), 320, 512, name="tiny",
                        version="1.0.0", training={"model_config": cfg})
    export.main(["rebundle", "--bundle", str(tmp_path / "a"), "--out", str(tmp_path / "b"), "--version", "1.1.0",
                 "--test-settings", '{"keypoint_test_box_scales": [1.2]}'])
    js = json.load(open(tmp_path / "b" / "model.json"))
    assert js["test_time"]["keypoint_box_scales"] == [1.35, 1.2]
    export.main(["rebundle", "--bundle", str(tmp_path / "b"), "--out", str(tmp_path / "c"), "--version", "1.1.1"])
    again = json.load(open(tmp_path / "c" / "model.json"))["training"]["re_exported"]
    assert again["from_version"] == "1.1.0" and again["earlier"]["from_version"] == "1.0.0"  # the chain is kept
    assert "keypoint heat maps also from boxes enlarged 1.2x" in js["architecture"]
    eager, _ = export.load_bundle_model(str(tmp_path / "b"))
    assert list(eager.roi_heads.keypoint_test_box_scales) == [1.2]
    x, sizes = torch.rand(1, 3, 320, 448), torch.tensor([[320, 448]])
    with torch.no_grad():
        a = torch.jit.load(str(tmp_path / "a" / "model.pt"))(x, sizes)
        b = torch.jit.load(str(tmp_path / "b" / "model.pt"))(x, sizes)
    assert (a[2] == 1).any()
    for i in (0, 1, 2, 3, 6):   # boxes, scores, labels, masks, image index
        assert torch.equal(a[i], b[i]), i
    assert not torch.equal(a[5], b[5])   # keypoint scores


def test_min_score_leaves_low_detections_out_before_the_heads(tmp_path):
    torch.manual_seed(14)
    model = build_model(dict(TINY, head_box_scale=1.2, flip_test=True)).eval()
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections
    meta = export.write_bundle(model, str(tmp_path), export.default_categories(), 320, 512)
    assert "min_score" in meta["input"]["optional_inputs"]
    m = torch.jit.load(str(tmp_path / "model.pt"))
    x, sizes = torch.rand(2, 3, 320, 448), torch.tensor([[320, 448], [300, 400]])
    with torch.no_grad():
        full = m(x, sizes)
        floor = float(full[1].median())
        cut = m(x, sizes, torch.tensor([True]), torch.tensor([floor]))
        none = m(x, sizes, torch.tensor([True]), torch.tensor([0.0]))
    keep = full[1] >= floor
    assert 0 < int(keep.sum()) < full[1].shape[0]
    for i in range(7):   # the same rows, and the same masks and keypoints for them (the heads work per box)
        assert cut[i].shape[0] == int(keep.sum()), i
        assert (cut[i].float() - full[i][keep].float()).abs().max() < 1e-4, i
        assert torch.equal(none[i], full[i]), i
    with pytest.raises(Exception, match="min_score must be a tensor of one element"):
        m(x, sizes, torch.tensor([True]), torch.tensor([0.1, 0.2]))
