"""The Detectron2 converter: config reading, model building (R50 / R101, mask and keypoint heads), both checkpoint
forms, the weights recipe, the COCO category files, and the converted bundle against Detectron2's own goldens
(``samples/golden-detectron2``, made by golden_detectron2.py) on the Python side."""
import json
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sparkseg_models import detectron2 as d2
from sparkseg_models import detectron2_export as d2x
from sparkseg_models.detectron2_config import load_config
from sparkseg_models import detectron2_weights as recipe
from sparkseg_models.coco import rle_encode
from sparkseg_models.export import load_categories_file, main as export_main, torchvision_ops_in_archive

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "samples", "golden-detectron2")
IMAGES = os.path.join(HERE, "..", "..", "samples", "images")
CATEGORIES = os.path.join(HERE, "..", "categories")

# the structure of Detectron2's model-zoo YAML files (Base-RCNN-FPN.yaml and a child with _BASE_)
BASE_YAML = """
MODEL:
  META_ARCHITECTURE: "GeneralizedRCNN"
  BACKBONE:
    NAME: "build_resnet_fpn_backbone"
  RESNETS:
    OUT_FEATURES: ["res2", "res3", "res4", "res5"]
  FPN:
    IN_FEATURES: ["res2", "res3", "res4", "res5"]
  ANCHOR_GENERATOR:
    SIZES: [[32], [64], [128], [256], [512]]
    ASPECT_RATIOS: [[0.5, 1.0, 2.0]]
  RPN:
    IN_FEATURES: ["p2", "p3", "p4", "p5", "p6"]
    PRE_NMS_TOPK_TRAIN: 2000
    PRE_NMS_TOPK_TEST: 1000
    POST_NMS_TOPK_TRAIN: 1000
    POST_NMS_TOPK_TEST: 1000
  ROI_HEADS:
    NAME: "StandardROIHeads"
    IN_FEATURES: ["p2", "p3", "p4", "p5"]
  ROI_BOX_HEAD:
    NAME: "FastRCNNConvFCHead"
    NUM_FC: 2
    POOLER_RESOLUTION: 7
  ROI_MASK_HEAD:
    NAME: "MaskRCNNConvUpsampleHead"
    NUM_CONV: 4
    POOLER_RESOLUTION: 14
SOLVER:
  STEPS: (60000, 80000)
INPUT:
  MIN_SIZE_TRAIN: (640, 672, 704, 736, 768, 800)
VERSION: 2
"""


def _yaml(tmp_path, child: str) -> str:
    (tmp_path / "Base-RCNN-FPN.yaml").write_text(BASE_YAML)
    (tmp_path / "sub").mkdir(exist_ok=True)
    path = tmp_path / "sub" / "model.yaml"
    path.write_text('_BASE_: "../Base-RCNN-FPN.yaml"\n' + child)
    return str(path)


def test_r101_mask_config_builds_and_scripts(tmp_path):
    cfg = load_config(_yaml(tmp_path, "MODEL:\n  MASK_ON: True\n  RESNETS:\n    DEPTH: 101\n"))
    assert cfg["MODEL.RESNETS.DEPTH"] == 101 and cfg["MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION"] == 7
    assert cfg["MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS"] == [10.0, 10.0, 5.0, 5.0]
    model = d2.build_model(cfg)
    sd = model.state_dict()
    assert len(model.backbone.bottom_up.res4) == 23
    # Detectron2's names and shapes (as its model-zoo checkpoints hold them)
    assert sd["backbone.bottom_up.res2.0.conv1.weight"].shape == (64, 64, 1, 1)
    assert sd["backbone.bottom_up.res3.0.conv1.norm.running_var"].shape == (128,)
    assert sd["backbone.fpn_lateral5.weight"].shape == (256, 2048, 1, 1)
    assert sd["roi_heads.box_head.fc1.weight"].shape == (1024, 256 * 7 * 7)
    assert sd["roi_heads.box_predictor.cls_score.weight"].shape == (81, 1024)
    assert sd["roi_heads.box_predictor.bbox_pred.weight"].shape == (320, 1024)
    assert sd["roi_heads.mask_head.predictor.weight"].shape == (80, 256, 1, 1)
    assert "roi_heads.keypoint_head.conv_fcn1.weight" not in sd
    # MSRA ResNet: the stride sits in the first 1x1 conv of a stage
    assert model.backbone.bottom_up.res3[0].conv1.stride == (2, 2)
    assert model.backbone.bottom_up.res3[0].conv2.stride == (1, 1)
    torch.jit.script(model)


def test_keypoint_config_builds(tmp_path):
    cfg = load_config(_yaml(tmp_path, "MODEL:\n  KEYPOINT_ON: True\n  ROI_HEADS:\n    NUM_CLASSES: 1\n"))
    sd = d2.build_model(cfg).state_dict()
    assert sd["roi_heads.keypoint_head.conv_fcn8.weight"].shape == (512, 512, 3, 3)
    assert sd["roi_heads.keypoint_head.score_lowres.weight"].shape == (512, 17, 4, 4)
    assert sd["roi_heads.box_predictor.cls_score.weight"].shape == (2, 1024)
    assert "roi_heads.mask_head.predictor.weight" not in sd


def test_unsupported_configs_are_refused_by_key(tmp_path):
    with pytest.raises(ValueError, match="MODEL.ROI_HEADS.NAME"):
        load_config(_yaml(tmp_path, "MODEL:\n  ROI_HEADS:\n    NAME: CascadeROIHeads\n"))
    with pytest.raises(ValueError, match="MODEL.RESNETS.DEPTH"):
        load_config(_yaml(tmp_path, "MODEL:\n  RESNETS:\n    DEPTH: 34\n"))
    with pytest.raises(ValueError, match="POOLER_TYPE"):
        load_config(_yaml(tmp_path, "MODEL:\n  ROI_BOX_HEAD:\n    POOLER_TYPE: ROIAlign\n"))
    with pytest.raises(ValueError, match="no such file"):
        load_config(str(tmp_path / "missing.yaml"))
    with pytest.raises(ValueError, match="not a key"):
        load_config(_yaml(tmp_path, ""), {"MODEL.NO_SUCH_KEY": 1})


def test_anchors_are_detectron2s_unrounded_cells():
    cfg = load_config(os.path.join(GOLDEN, "config.json"))
    cells = d2.build_model(cfg).proposal_generator.cell_anchors
    # size 32, ratio 0.5: w = sqrt(1024 / 0.5), h = 0.5 w, centred on 0 (torchvision would round them)
    w = (32 ** 2 / 0.5) ** 0.5
    assert torch.allclose(cells[0, 0], torch.tensor([-w / 2, -w / 4, w / 2, w / 4]))
    assert cells.shape == (5, 3, 4)


def test_categories_files_map_both_label_orders_to_coco_ids():
    d2_cats = load_categories_file(os.path.join(CATEGORIES, "coco_detectron2.json"))
    tv_cats = load_categories_file(os.path.join(CATEGORIES, "coco_torchvision.json"))
    assert [c["label"] for c in d2_cats] == list(range(1, 81))
    assert [c["label"] for c in tv_cats] == list(range(1, 91))
    # Detectron2: contiguous classes in COCO id order; torchvision: label = COCO id, 'N/A' in the unused slots
    ids = [c["id"] for c in d2_cats]
    assert ids == sorted(ids) and len(set(ids)) == 80 and ids[0] == 1 and ids[-1] == 90
    assert all(c["id"] == c["label"] for c in tv_cats)
    assert sum(c["name"] == "N/A" for c in tv_cats) == 10
    by_id = {c["id"]: c["name"] for c in tv_cats}
    assert all(by_id[c["id"]] == c["name"] for c in d2_cats)
    # the two orders differ from the first gap on: Detectron2's class 11 (label 12) is COCO id 13, stop sign
    assert d2_cats[11]["id"] == 13 and d2_cats[11]["name"] == "stop sign" and tv_cats[11]["name"] == "N/A"
    assert d2_cats[0]["keypoints"] == tv_cats[0]["keypoints"] and len(d2_cats[0]["sigmas"]) == 17
    person = load_categories_file(os.path.join(CATEGORIES, "coco_person.json"))
    assert person == d2_cats[:1] and person[0]["name"] == "person"


@pytest.fixture(scope="module")
def parity_cfg():
    return load_config(os.path.join(GOLDEN, "config.json"))


@pytest.fixture(scope="module")
def weights(parity_cfg, tmp_path_factory):
    state = recipe.make_weights(parity_cfg)
    folder = tmp_path_factory.mktemp("d2weights")
    pth, pkl = str(folder / "model_final.pth"), str(folder / "model_final.pkl")
    recipe.save(state, pth, pkl)
    return state, pth, pkl


def test_recipe_gives_the_goldens_weights(weights):
    with open(os.path.join(GOLDEN, "index.json")) as f:
        index = json.load(f)
    assert recipe.state_sha256(weights[0]) == index["weights_sha256"], \
        "the weights recipe no longer writes the weights samples/golden-detectron2 was made with"


def test_both_checkpoint_forms_load_the_same_weights(parity_cfg, weights, tmp_path):
    state, pth, pkl = weights
    from_pth, from_pkl = d2x.read_weights(pth), d2x.read_weights(pkl)
    assert set(from_pth) == set(from_pkl) == set(state)
    assert all(torch.equal(from_pth[k], from_pkl[k]) for k in state)
    bare = str(tmp_path / "bare.pth")
    torch.save(state, bare)   # a bare state dict
    assert all(torch.equal(d2x.read_weights(bare)[k], state[k]) for k in state)
    broken = dict(state)
    broken.pop("roi_heads.box_head.fc2.weight")
    broken["backbone.extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match="fc2.weight.*backbone.extra.weight"):
        d2x.load_weights(d2.build_model(parity_cfg), broken, "broken.pth")


@pytest.fixture(scope="module")
def bundle(weights, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("d2bundle"))
    export_main(["detectron2", "--config", os.path.join(GOLDEN, "config.json"), "--weights", weights[2],
                 "--categories", os.path.join(CATEGORIES, "coco_detectron2.json"), "--out", out])
    return out


def test_bundle_declares_detectron2_semantics(bundle):
    with open(os.path.join(bundle, "model.json")) as f:
        meta = json.load(f)
    assert meta["input"]["resize"] == {**meta["input"]["resize"], "rule": "detectron2", "min_size": 320,
                                       "max_size": 512}
    assert meta["input"]["channel_order"] == "RGB" and meta["input"]["value_range"] == [0.0, 1.0]
    assert meta["input"]["normalization"]["model_channel_order"] == "BGR"
    assert meta["output"]["postprocess"] == "detectron2"
    assert meta["output"]["keypoint_labels"] == [1] and meta["output"]["num_keypoints"] == 17
    assert "flip" not in meta["input"]["optional_inputs"] and meta["test_time"]["flip"] is False
    assert torchvision_ops_in_archive(os.path.join(bundle, "model.pt")) == []


def paste_detectron2(probs: torch.Tensor, box, h: int, w: int, threshold: float = 0.5) -> np.ndarray:
    """Detectron2's paste_masks_in_image for one mask, written from its definition: the pixels of the box's
    window [floor(x0) - 1, ceil(x1) + 1) sample the map bilinearly (grid_sample, zeros outside)."""
    x0, y0, x1, y1 = [float(v) for v in box]
    out = np.zeros((h, w), dtype=bool)
    c0, r0 = max(int(np.floor(x0)) - 1, 0), max(int(np.floor(y0)) - 1, 0)
    c1, r1 = min(int(np.ceil(x1)) + 1, w), min(int(np.ceil(y1)) + 1, h)
    xs = (torch.arange(c0, c1, dtype=torch.float32) + 0.5 - x0) / (x1 - x0) * 2 - 1
    ys = (torch.arange(r0, r1, dtype=torch.float32) + 0.5 - y0) / (y1 - y0) * 2 - 1
    grid = torch.stack([xs[None, :].expand(len(ys), -1), ys[:, None].expand(-1, len(xs))], dim=2)[None]
    sampled = F.grid_sample(probs[None, None], grid, align_corners=False)[0, 0]
    out[r0:r1, c0:c1] = (sampled >= threshold).numpy()
    return out


def _rle_iou(a, b) -> float:
    def dense(counts, h, w):
        flat = np.zeros(h * w, dtype=bool)
        pos = 0
        for i, n in enumerate(counts):
            if i % 2:
                flat[pos:pos + n] = True
            pos += n
        return flat
    h, w = a["size"]
    da, db = dense(a["counts"], h, w), dense(b["counts"], h, w)
    union = (da | db).sum()
    return 1.0 if union == 0 else float((da & db).sum() / union)


@pytest.mark.parametrize("name", ["val_000000", "val_000004", "val_000018"])
def test_scripted_bundle_matches_detectron2_goldens(bundle, parity_cfg, name):
    with open(os.path.join(GOLDEN, name + ".json")) as f:
        golden = json.load(f)
    module = torch.jit.load(os.path.join(bundle, "model.pt"))
    x = recipe.resized_input(os.path.join(IMAGES, golden["file_name"]), parity_cfg)
    assert list(x.shape[-2:]) == golden["resized"]
    with torch.no_grad():
        boxes, scores, labels, masks, kps, kp_scores, index = module(x, torch.tensor([golden["resized"]]))
    h, w = golden["height"], golden["width"]
    sx, sy = w / x.shape[-1], h / x.shape[-2]
    assert len(scores) == len(golden["detections"])
    for i, det in enumerate(golden["detections"]):
        assert int(labels[i]) == det["label"]
        assert abs(float(scores[i]) - det["score"]) < 1e-4
        box = (boxes[i] * torch.tensor([sx, sy, sx, sy])).tolist()
        assert max(abs(a - b) for a, b in zip(box, det["box"])) <= 0.5
        mask = paste_detectron2(masks[i, 0], box, h, w)
        assert _rle_iou({"size": [h, w], "counts": rle_encode(mask)}, det["mask"]) >= 0.98
        got = kps[i, :, :2] * torch.tensor([sx, sy])
        want = torch.tensor(det["keypoints"])
        assert (got - want[:, :2]).abs().max() <= 1.0
        assert torch.allclose(kp_scores[i], want[:, 2], atol=1e-4)
