import copy

import pytest
import torch
from torchvision.models.detection.image_list import ImageList

from sparkseg_models import export
from sparkseg_models.coco import KEYPOINT_NAMES, mirror_index

from sparkseg_models.backbone import IMAGE_KEY, CoarseLevelRPN, ImageTapBackbone, TappedBody
from sparkseg_models.boxes import mirror_boxes, scale_boxes
from sparkseg_models.config import GROWABLE, growable_values, with_test_settings
from sparkseg_models.heads import MarginRoIHeads, use_head_box_scale
from sparkseg_models.model import build_model
from sparkseg_models.refinement import (FINE_DETAIL_CHANNELS, FineDetailPool, PassThroughKeypointHeads,
                                        RefiningKeypointPredictor, RefiningMaskPredictor, depth_to_space,
                                        space_to_depth)
from sparkseg_models.surgery import grow_state_dict, widen_to_fine_level
from sparkseg_models.tta import FlipTestMaskRCNN, average_box_scales, maps_to_box_scale, mask_probs_at_scales

TINY = {"fpn_channels": 32, "box_repr": 64, "mask_channels": 32, "keypoint_channels": 32, "keypoint_layers": 2,
        "mask_layers": 2, "box_score_thresh": 0.0, "box_detections_per_img": 20}


def test_fine_level_feeds_only_the_mask_and_keypoint_pools():
    model = build_model(dict(TINY, fine_level=True)).eval()
    feats = model.backbone(torch.rand(1, 3, 256, 320))
    assert list(feats) == ["0", "1", "2", "3", "pool"]
    assert feats["0"].shape[-2:] == (64, 80)          # stride 4
    assert feats["1"].shape[-2:] == (32, 40)          # stride 8
    rh = model.roi_heads
    assert rh.box_roi_pool.featmap_names == ["1", "2", "3"]
    assert rh.mask_roi_pool.featmap_names == ["0", "1", "2", "3"]
    assert rh.keypoint_roi_pool.featmap_names == ["0", "1", "2", "3"]
    assert isinstance(model.rpn, CoarseLevelRPN)


def test_widened_weights_keep_boxes_identical_and_script_without_torchvision_ops(tmp_path):
    torch.manual_seed(5)
    plain = build_model(TINY).eval()
    fine = build_model(dict(TINY, fine_level=True)).eval()
    fine.load_state_dict(widen_to_fine_level(plain.state_dict(), fine))
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        a, b = plain([img])[0], fine([img])[0]
    # the RPN and box head read the same levels with the same weights: same detections
    assert a["boxes"].shape[0] > 0
    assert torch.equal(a["labels"], b["labels"])
    assert torch.allclose(a["boxes"], b["boxes"], atol=1e-4) and torch.allclose(a["scores"], b["scores"], atol=1e-5)
    # the stride-4 level starts as the upsampled stride-8 level's output conv: masks move, but not far
    assert (a["masks"] - b["masks"]).abs().mean() < 0.2
    export.write_bundle(fine, str(tmp_path), export.default_categories(), 320, 512,
                        training={"model_config": fine.sparkseg_config})
    assert export.torchvision_ops_in_archive(str(tmp_path / "model.pt")) == []
    m = torch.jit.load(str(tmp_path / "model.pt"))
    out = m(torch.rand(2, 3, 320, 448), torch.tensor([[320, 448], [288, 400]]))
    assert out[3].shape[1:] == (1, 28, 28)
    reloaded, _ = export.load_bundle_model(str(tmp_path))
    assert isinstance(reloaded.rpn, CoarseLevelRPN)


def test_fine_level_trains():
    torch.manual_seed(6)
    model = build_model(dict(TINY, fine_level=True), train_min_sizes=(160,)).train()
    img = torch.rand(3, 160, 200)
    target = {"boxes": torch.tensor([[20.0, 30.0, 90.0, 140.0]]), "labels": torch.tensor([1]),
              "masks": torch.zeros(1, 160, 200, dtype=torch.uint8), "keypoints": torch.zeros(1, 17, 3)}
    target["masks"][0, 30:140, 20:90] = 1
    losses = model([img], [target])
    assert {"loss_objectness", "loss_mask", "loss_classifier"} <= set(losses)
    sum(losses.values()).backward()
    assert model.backbone.fpn.inner_blocks[0][0].weight.grad.abs().sum() > 0


def test_deep_taps_concatenate_the_last_block_of_strides_8_and_16():
    model = build_model(dict(TINY, fine_level=True, deep_taps=True)).eval()
    body = model.backbone.body
    assert isinstance(body, TappedBody)
    # mobilenet_v3_small: blocks 2-3 run at stride 8, 4-8 at stride 16, 9-12 at stride 32
    assert body.taps == {"0": ["1"], "1": ["2", "3"], "2": ["4", "8"], "3": ["12"]}
    feats = body(torch.rand(1, 3, 256, 320))
    assert [f.shape[1] for f in feats.values()] == [16, 24 + 24, 40 + 48, 576]
    laterals = [b[0].in_channels for b in model.backbone.fpn.inner_blocks]
    assert laterals == [16, 48, 88, 576]
    # same block names as the plain extractor: the backbone's weights load unchanged
    plain = build_model(dict(TINY, fine_level=True))
    assert {k for k in plain.state_dict() if k.startswith("backbone.body.")} == \
           {k for k in model.state_dict() if k.startswith("backbone.body.")}


def test_grown_model_gives_identical_outputs_and_scripts_without_torchvision_ops(tmp_path):
    torch.manual_seed(8)
    old = build_model(dict(TINY, fine_level=True)).eval()
    new = build_model(dict(TINY, fine_level=True, deep_taps=True, keypoint_context_layers=2)).eval()
    assert len(new.roi_heads.keypoint_head) == len(old.roi_heads.keypoint_head) + 4
    new.load_state_dict(grow_state_dict(old.state_dict(), old.sparkseg_config, new))
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        a, b = old([img])[0], new([img])[0]
    assert a["boxes"].shape[0] > 0 and a["keypoints"].shape[0] > 0
    for k in ("boxes", "scores", "masks", "keypoints", "keypoints_scores"):
        assert torch.allclose(a[k], b[k], atol=1e-5), k
    assert torch.equal(a["labels"], b["labels"])
    export.write_bundle(new, str(tmp_path), export.default_categories(), 320, 512,
                        architecture=export.architecture_string(new.sparkseg_config),
                        training={"model_config": new.sparkseg_config})
    assert export.torchvision_ops_in_archive(str(tmp_path / "model.pt")) == []
    scripted = torch.jit.load(str(tmp_path / "model.pt"))
    out = scripted(torch.rand(1, 3, 320, 448), torch.tensor([[320, 448]]))
    assert out[4].shape[1:] == (17, 3)
    reloaded, meta = export.load_bundle_model(str(tmp_path))
    assert isinstance(reloaded.backbone.body, TappedBody)
    assert "2 dilated" in meta["architecture"] and "first and last block" in meta["architecture"]


def test_grown_parts_train():
    torch.manual_seed(9)
    model = build_model(dict(TINY, deep_taps=True, keypoint_context_layers=1), train_min_sizes=(160,)).train()
    img = torch.rand(3, 160, 200)
    target = {"boxes": torch.tensor([[20.0, 30.0, 90.0, 140.0]]), "labels": torch.tensor([1]),
              "masks": torch.zeros(1, 160, 200, dtype=torch.uint8),
              "keypoints": torch.tensor([[[40.0 + 2 * j, 40.0 + 5 * j, 2.0] for j in range(17)]])}
    target["masks"][0, 30:140, 20:90] = 1
    losses = model([img], [target])
    assert losses["loss_keypoint"] > 0
    sum(losses.values()).backward()
    # the deep block's slice of the stride-16 lateral and the extra keypoint conv both get gradients
    assert model.backbone.fpn.inner_blocks[1][0].weight.grad[:, 40:].abs().sum() > 0
    assert model.roi_heads.keypoint_head[-2].weight.grad.abs().sum() > 0


def test_stateless_anchor_generator_and_roi_pool_match_torchvision_exactly():
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.image_list import ImageList
    from torchvision.ops import MultiScaleRoIAlign
    from sparkseg_models.stateless import StatelessAnchorGenerator, StatelessMultiScaleRoIAlign, make_stateless

    model = build_model({"fine_level": True})
    assert type(model.rpn.anchor_generator) is StatelessAnchorGenerator
    pools = [model.roi_heads.box_roi_pool, model.roi_heads.mask_roi_pool, model.roi_heads.keypoint_roi_pool]
    assert all(type(p) is StatelessMultiScaleRoIAlign for p in pools)

    g = torch.Generator().manual_seed(3)
    sizes, ratios = ((16, 24), (32, 48), (64, 96)), ((0.5, 1.0, 2.0),) * 3
    for h, w in ((320, 416), (352, 512), (96, 64)):
        images = ImageList(torch.zeros(2, 3, h, w), [(h, w), (h - 20, w - 32)])
        feats = [torch.rand(2, 8, h // s, w // s, generator=g) for s in (8, 16, 32)]
        ours = make_stateless(AnchorGenerator(sizes, ratios))(images, feats)
        theirs = AnchorGenerator(sizes, ratios)(images, feats)
        assert len(ours) == len(theirs) == 2
        assert all(torch.equal(a, b) for a, b in zip(ours, theirs))

        named = {str(i): f for i, f in enumerate(feats)}
        boxes = [torch.tensor([[4.0, 6.0, 60.0, 90.0], [0.0, 0.0, w - 1.0, h - 1.0]]),
                 torch.tensor([[10.0, 12.0, 30.0, 20.0]])]
        shapes = [(h, w), (h - 20, w - 32)]
        ours = make_stateless(MultiScaleRoIAlign(["0", "1", "2"], 7, 2))(named, boxes, shapes)
        theirs = MultiScaleRoIAlign(["0", "1", "2"], 7, 2)(named, boxes, shapes)
        assert torch.equal(ours, theirs)


def _one_person_target():
    target = {"boxes": torch.tensor([[20.0, 30.0, 90.0, 140.0]]), "labels": torch.tensor([1]),
              "masks": torch.zeros(1, 160, 200, dtype=torch.uint8), "keypoints": torch.zeros(1, 17, 3)}
    target["masks"][0, 30:140, 20:90] = 1
    return target


def test_margin_heads_at_scale_one_are_torchvision_roi_heads_in_training_and_inference():
    torch.manual_seed(11)
    stock = build_model(TINY, train_min_sizes=(160,))
    margin = copy.deepcopy(stock)
    use_head_box_scale(margin, 1.0)
    assert isinstance(margin.roi_heads, MarginRoIHeads) and not isinstance(stock.roi_heads, MarginRoIHeads)
    img = torch.rand(3, 160, 200)
    target = _one_person_target()
    target["keypoints"][0, :, :2] = torch.tensor([40.0, 60.0])
    target["keypoints"][0, :, 2] = 2
    # and a car, whose proposals torchvision's keypoint head runs on for nothing (all its keypoints are v=0)
    target["boxes"] = torch.cat([target["boxes"], torch.tensor([[100.0, 40.0, 190.0, 110.0]])])
    target["labels"] = torch.tensor([1, 3])
    target["masks"] = torch.cat([target["masks"], torch.zeros(1, 160, 200, dtype=torch.uint8)])
    target["masks"][1, 40:110, 100:190] = 1
    target["keypoints"] = torch.cat([target["keypoints"], torch.zeros(1, 17, 3)])
    losses, rois = [], []
    for model in (stock, margin):
        seen = []
        hook = model.roi_heads.keypoint_head.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[0]))
        torch.manual_seed(3)  # the same proposal sampling
        losses.append({k: v.item() for k, v in model.train()([img], [target]).items()})
        hook.remove()
        rois.append(seen[0])
    assert losses[0].keys() == losses[1].keys() and losses[0]["loss_keypoint"] > 0
    for k in losses[0]:
        assert losses[1][k] == pytest.approx(losses[0][k], rel=1e-6), k
    # the same keypoint loss from the person's proposals alone
    assert 0 < rois[1] < rois[0]
    with torch.no_grad():
        a, b = stock.eval()([img])[0], margin.eval()([img])[0]
    assert a["boxes"].shape[0] > 0 and set(a) == set(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_margin_heads_learn_keypoints_just_outside_the_proposal():
    torch.manual_seed(12)
    plain = build_model(TINY, train_min_sizes=(160,)).train()
    wide = copy.deepcopy(plain)
    use_head_box_scale(wide, 1.2)
    img = torch.rand(3, 160, 200)
    target = _one_person_target()
    # every keypoint 4 px right of the box (width 70): outside it, inside the box enlarged 1.2x (7 px each side)
    target["keypoints"][0, :, :2] = torch.tensor([94.0, 85.0])
    target["keypoints"][0, :, 2] = 2
    feats = plain.backbone(img[None])
    gt_box = [target["boxes"].clone()]  # the only proposal: the GT box itself
    _, l_plain = plain.roi_heads(feats, gt_box, [(160, 200)], [target])
    _, l_wide = wide.roi_heads(feats, gt_box, [(160, 200)], [target])
    assert l_plain["loss_keypoint"].item() == 0.0  # torchvision drops keypoints outside the proposal
    assert l_wide["loss_keypoint"].item() > 0.0
    assert l_wide["loss_mask"].item() > 0.0


def test_head_box_scale_is_grown_into_a_bundle_config():
    assert "head_box_scale" in GROWABLE
    model = build_model(dict(TINY, head_box_scale=1.25))
    assert model.roi_heads.head_box_scale == 1.25 and model.transform.mask_box_scale == 1.25
    # the enlarged boxes are pooled from the FPN level their detection boxes would use
    rh = model.roi_heads
    assert rh.mask_roi_pool.canonical_scale == rh.keypoint_roi_pool.canonical_scale == 280
    assert rh.box_roi_pool.canonical_scale == 224
    # no new weights: a scale-1.0 state_dict loads as it is
    model.load_state_dict(grow_state_dict(build_model(TINY).state_dict(), dict(TINY), model))
    boxes = torch.tensor([[10.0, 20.0, 30.0, 60.0]])
    assert torch.equal(scale_boxes(boxes, 1.5), torch.tensor([[5.0, 10.0, 35.0, 70.0]]))
    assert scale_boxes(boxes, 1.0) is boxes


def test_keypoint_box_scale_sets_the_keypoint_heads_box_apart_from_the_mask_heads():
    assert "keypoint_box_scale" in GROWABLE
    # unset, it follows head_box_scale
    assert growable_values(dict(TINY, head_box_scale=1.2))["keypoint_box_scale"] == 1.2
    model = build_model(dict(TINY, head_box_scale=1.2, keypoint_box_scale=1.5), train_min_sizes=(160,))
    rh = model.roi_heads
    assert rh.head_box_scale == 1.2 and rh.keypoint_box_scale == 1.5 and model.transform.mask_box_scale == 1.2
    assert rh.mask_roi_pool.canonical_scale == 269 and rh.keypoint_roi_pool.canonical_scale == 336
    # keypoints 12 px right of a 70 px wide box: outside it enlarged 1.2x (7 px), inside it enlarged 1.5x (17.5 px)
    target = _one_person_target()
    target["keypoints"][0, :, :2] = torch.tensor([102.0, 85.0])
    target["keypoints"][0, :, 2] = 2
    img = torch.rand(3, 160, 200)
    feats = model.backbone(img[None])
    narrow = copy.deepcopy(model)
    use_head_box_scale(narrow, 1.2)
    _, wide_losses = model.train().roi_heads(feats, [target["boxes"].clone()], [(160, 200)], [target])
    _, narrow_losses = narrow.train().roi_heads(feats, [target["boxes"].clone()], [(160, 200)], [target])
    assert narrow_losses["loss_keypoint"].item() == 0.0 and wide_losses["loss_keypoint"].item() > 0.0
    # the masks do not see the keypoint scale
    assert narrow_losses["loss_mask"].item() == pytest.approx(wide_losses["loss_mask"].item(), rel=1e-6)


def _grow_with_new_keys_only(base, base_cfg, grown, option, new_prefixes):
    """Grows ``base``'s weights into ``grown`` (built with ``option`` set) and loads them, checking that only keys
    under ``new_prefixes`` are new and that the option's width cannot change afterwards."""
    state = grow_state_dict(base.state_dict(), base_cfg, grown)
    assert set(base.state_dict()) < set(state)
    assert all(k.startswith(new_prefixes) for k in set(state) - set(base.state_dict()))
    grown.load_state_dict(state)
    with pytest.raises(ValueError, match=f"{option} cannot change"):
        grow_state_dict(state, dict(base_cfg, **{option: 8}), grown)


def test_mask_refinement_grows_in_as_a_no_op_and_then_learns():
    assert "mask_refine_channels" in GROWABLE
    with pytest.raises(ValueError, match="needs fine_level"):
        build_model(dict(TINY, mask_refine_channels=16))
    base_cfg = dict(TINY, fine_level=True, head_box_scale=1.2)
    torch.manual_seed(21)
    base = build_model(base_cfg).eval()
    grown = build_model(dict(base_cfg, mask_refine_channels=16)).eval()
    assert isinstance(grown.roi_heads.mask_roi_pool, FineDetailPool)
    assert isinstance(grown.roi_heads.mask_predictor, RefiningMaskPredictor)
    # the head's own weights keep their keys: only the refinement's are new
    _grow_with_new_keys_only(base, base_cfg, grown, "mask_refine_channels",
                             ("roi_heads.mask_roi_pool.", "roi_heads.mask_predictor.refine"))
    img = torch.rand(3, 200, 260)
    with torch.no_grad():
        a, b = base([img])[0], grown([img])[0]
    assert a["masks"].shape[0] > 0
    assert torch.equal(a["masks"], b["masks"]) and torch.equal(a["boxes"], b["boxes"])
    # in training the zero last conv gets a gradient, so the refinement starts learning
    grown.train()
    target = _one_person_target()
    target["boxes"] *= 1.2
    target["masks"] = torch.zeros(1, 200, 260, dtype=torch.uint8)
    target["masks"][0, 40:160, 30:100] = 1
    losses = grown([img], [target])
    losses["loss_mask"].backward()
    assert grown.roi_heads.mask_predictor.refine_logits.weight.grad.abs().sum() > 0
    # behind the zero conv the projection gets none yet: it learns once the last conv has moved
    assert grown.roi_heads.mask_roi_pool.project.weight.grad.abs().sum() == 0


def test_mask_refinement_packs_its_detail_invertibly_and_survives_an_image_without_detections():
    x = torch.rand(3, 16, 28, 28)
    packed = space_to_depth(x)
    assert packed.shape == (3, 64, 14, 14) and torch.equal(depth_to_space(packed), x)
    # F.pixel_unshuffle returns an empty batch unchanged (28x28): the packing must not
    assert space_to_depth(torch.zeros(0, 16, 28, 28)).shape == (0, 64, 14, 14)
    model = build_model(dict(TINY, fine_level=True, mask_refine_channels=16)).eval()
    model.roi_heads.score_thresh = 1.1  # nothing passes
    with torch.no_grad():
        out = model([torch.rand(3, 200, 260)])[0]
    assert out["boxes"].shape == (0, 4) and out["masks"].shape == (0, 1, 200, 260)


def test_mask_image_detail_passes_the_image_to_the_refinement_only():
    with pytest.raises(ValueError, match="needs mask_refine_channels"):
        build_model(dict(TINY, fine_level=True, mask_image_detail=True))
    torch.manual_seed(8)
    model = build_model(dict(TINY, fine_level=True, mask_refine_channels=16, mask_image_detail=True)).eval()
    assert isinstance(model.backbone, ImageTapBackbone)
    x = torch.rand(1, 3, 256, 320)
    feats = model.backbone(x)
    assert list(feats) == ["0", "1", "2", "3", "pool", IMAGE_KEY] and torch.equal(feats[IMAGE_KEY], x)
    # the pool packs the projected level's and the image's 3 channels at 28x28 next to the 14x14 pool (32
    # channels); the image part is the image itself resampled in the box
    box = torch.tensor([[40.0, 30.0, 200.0, 230.0]])
    pooled = model.roi_heads.mask_roi_pool(feats, [box], [(256, 320)])
    assert pooled.shape == (1, 32 + 4 * (FINE_DETAIL_CHANNELS + 3), 14, 14)
    image_part = depth_to_space(pooled[:, 32:])[:, FINE_DETAIL_CHANNELS:]
    assert torch.allclose(image_part, model.roi_heads.mask_roi_pool.image({"image": x}, [box], [(256, 320)]))
    assert image_part.mean().item() == pytest.approx(x[0, :, 30:230, 40:200].mean().item(), abs=0.02)
    # the RPN reads the same levels as without the image: same proposals
    plain_levels = {k: v for k, v in feats.items() if k != IMAGE_KEY}
    il = ImageList(x, [(256, 320)])
    with torch.no_grad():
        assert torch.equal(model.rpn(il, feats)[0][0], model.rpn(il, plain_levels)[0][0])


def test_mask_image_detail_grows_into_a_refining_bundle_as_a_no_op_and_then_learns():
    assert "mask_image_detail" in GROWABLE
    base_cfg = dict(TINY, fine_level=True, head_box_scale=1.2, mask_refine_channels=16)
    torch.manual_seed(22)
    base = build_model(base_cfg).eval()
    torch.nn.init.normal_(base.roi_heads.mask_predictor.refine_logits.weight, std=0.5)  # a trained refinement
    grown = build_model(dict(base_cfg, mask_image_detail=True)).eval()
    state = grow_state_dict(base.state_dict(), base_cfg, grown)
    # no new keys: only the refinement's first conv widens, by three zero input channels
    assert set(state) == set(base.state_dict())
    w = state["roi_heads.mask_predictor.refine1.weight"]
    assert w.shape[1] == base.roi_heads.mask_predictor.refine1.weight.shape[1] + 3 and not w[:, -3:].any()
    grown.load_state_dict(state)
    img = torch.rand(3, 200, 260)
    with torch.no_grad():
        a, b = base([img])[0], grown([img])[0]
    assert a["masks"].shape[0] > 0 and torch.equal(a["masks"], b["masks"])
    grown.train()
    target = _one_person_target()
    target["masks"] = torch.zeros(1, 200, 260, dtype=torch.uint8)
    target["masks"][0, 40:160, 30:100] = 1
    grown([img], [target])["loss_mask"].backward()
    assert grown.roi_heads.mask_predictor.refine1.weight.grad[:, -3:].abs().sum() > 0


def test_keypoint_refinement_grows_in_as_a_no_op_and_then_learns():
    assert "keypoint_refine_channels" in GROWABLE
    with pytest.raises(ValueError, match="needs fine_level"):
        build_model(dict(TINY, keypoint_refine_channels=16))
    base_cfg = dict(TINY, fine_level=True, head_box_scale=1.2, keypoint_box_scale=1.35, mask_refine_channels=16,
                    mask_image_detail=True, keypoint_context_layers=1)
    torch.manual_seed(23)
    base = build_model(base_cfg).eval()
    with torch.no_grad():
        base.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections
    grown = build_model(dict(base_cfg, keypoint_refine_channels=16)).eval()
    rh = grown.roi_heads
    assert isinstance(rh.keypoint_roi_pool, FineDetailPool) and rh.keypoint_roi_pool.image is not None
    assert isinstance(rh.keypoint_head, PassThroughKeypointHeads)
    assert isinstance(rh.keypoint_predictor, RefiningKeypointPredictor)
    # the refinement reads the head's channels upsampled, the projected stride-4 level and the image
    assert rh.keypoint_predictor.refine1.in_channels == 32 + FINE_DETAIL_CHANNELS + 3
    # the head keeps its keys (context layer included): only the projection and the refinement are new
    _grow_with_new_keys_only(base, base_cfg, grown, "keypoint_refine_channels",
                             ("roi_heads.keypoint_roi_pool.", "roi_heads.keypoint_predictor.refine"))
    img = torch.rand(3, 200, 260)
    with torch.no_grad():
        a, b = base([img])[0], grown([img])[0]
    assert (a["labels"] == 1).any()
    for key in ("boxes", "masks", "keypoints", "keypoints_scores"):
        assert torch.equal(a[key], b[key]), key
    # the zero last conv gets a gradient in training, so the refinement starts learning
    grown.train()
    target = _one_person_target()
    target["masks"] = torch.zeros(1, 200, 260, dtype=torch.uint8)
    target["masks"][0, 30:140, 20:90] = 1
    target["keypoints"][0, :, :2] = torch.tensor([55.0, 80.0])
    target["keypoints"][0, :, 2] = 2
    grown([img], [target])["loss_keypoint"].backward()
    assert rh.keypoint_predictor.refine_logits.weight.grad.abs().sum() > 0
    assert rh.keypoint_head[0].weight.grad.abs().sum() > 0


def test_keypoint_refinement_survives_an_image_without_detections():
    model = build_model(dict(TINY, fine_level=True, keypoint_refine_channels=8)).eval()
    assert model.roi_heads.keypoint_roi_pool.image is None     # no image tap without mask_image_detail
    model.roi_heads.score_thresh = 1.1
    with torch.no_grad():
        out = model([torch.rand(3, 200, 260)])[0]
    assert out["boxes"].shape == (0, 4) and out["keypoints"].shape == (0, 17, 3)


def test_mask_image_detail_widens_a_trained_keypoint_refinement_too():
    base_cfg = dict(TINY, fine_level=True, mask_refine_channels=16, keypoint_refine_channels=16)
    torch.manual_seed(24)
    base = build_model(base_cfg).eval()
    grown = build_model(dict(base_cfg, mask_image_detail=True)).eval()
    state = grow_state_dict(base.state_dict(), base_cfg, grown)
    for part in ("mask_predictor", "keypoint_predictor"):
        w = state[f"roi_heads.{part}.refine1.weight"]
        assert w.shape[1] == getattr(base.roi_heads, part).refine1.weight.shape[1] + 3 and not w[:, -3:].any()
    grown.load_state_dict(state)


def test_mirror_index_swaps_left_and_right_and_refuses_a_keypoint_without_its_twin():
    assert mirror_index(KEYPOINT_NAMES) == [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
    assert mirror_index(["left_paw", "tail", "right_paw"]) == [2, 1, 0]
    with pytest.raises(ValueError, match="'left_paw' has no mirror keypoint 'right_paw'"):
        mirror_index(["left_paw", "tail"])


def test_mirror_boxes_mirrors_about_the_image_width_and_undoes_itself():
    boxes = torch.tensor([[10.0, 5.0, 30.0, 25.0], [0.0, 0.0, 448.0, 320.0]])
    assert torch.equal(mirror_boxes(boxes, 448), torch.tensor([[418.0, 5.0, 438.0, 25.0], [0.0, 0.0, 448.0, 320.0]]))
    assert torch.equal(mirror_boxes(mirror_boxes(boxes, 448), 448), boxes)


@pytest.mark.parametrize("extra", [{}, {"head_box_scale": 1.2, "keypoint_box_scale": 1.35, "fine_level": True,
                                        "mask_refine_channels": 16, "mask_image_detail": True}],
                         ids=["torchvision-heads", "margin-heads-with-refinement"])
def test_flip_test_changes_masks_and_keypoints_only(extra):
    torch.manual_seed(21)
    plain = build_model(dict(TINY, **extra)).eval()
    with torch.no_grad():
        plain.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections
    flipped = build_model(dict(TINY, flip_test=True, **extra)).eval()
    flipped.load_state_dict(plain.state_dict())
    assert isinstance(flipped, FlipTestMaskRCNN) and flipped.keypoint_mirror == mirror_index(KEYPOINT_NAMES)
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        a, b = plain([img])[0], flipped([img])[0]
    assert a["boxes"].shape[0] > 0 and set(a) == set(b)
    for k in ("boxes", "labels", "scores"):
        assert torch.equal(a[k], b[k]), k
    # the heads saw the mirrored image too: their outputs move, but stay the same kind of output
    assert not torch.equal(a["masks"], b["masks"]) and b["masks"].shape == a["masks"].shape
    assert ((b["masks"] >= 0) & (b["masks"] <= 1)).all()
    assert not torch.equal(a["keypoints_scores"], b["keypoints_scores"])
    # the keypoint heat maps are averaged in the box, so the keypoints stay near it
    assert (b["keypoints"][..., 0] >= a["boxes"][:, None, 0] - 0.5 * (a["boxes"][:, None, 2] - a["boxes"][:, None, 0])).all()


def test_flip_test_needs_the_coco_keypoints():
    with pytest.raises(ValueError, match="flip_test needs the 17 COCO keypoints"):
        build_model(dict(TINY, flip_test=True, num_keypoints=5))


def _peak_maps(n, c, size, centres, sigma=2.0):
    """[n, c, size, size] Gaussian bumps at (column, row) cell ``centres[i][j]``."""
    grid = torch.arange(size, dtype=torch.float32)
    out = torch.zeros(n, c, size, size)
    for i in range(n):
        for j in range(c):
            u, v = centres[i][j]
            out[i, j] = torch.exp(-((grid[None, :] - u) ** 2 + (grid[:, None] - v) ** 2) / (2 * sigma ** 2))
    return out


@pytest.mark.parametrize("from_scale,to_scale", [(1.2, 1.35), (1.35, 1.2), (1.5, 1.0)])
def test_maps_to_box_scale_keeps_each_peak_on_its_image_point(from_scale, to_scale):
    size = 56
    centres = [[(20.0, 30.0), (33.0, 24.0)], [(28.0, 28.0), (25.0, 31.0)]]
    maps = _peak_maps(2, 2, size, centres)
    out, inside = maps_to_box_scale(maps, from_scale, to_scale)
    assert out.shape == maps.shape and inside.shape == (size, size)
    for i in range(2):
        for j in range(2):
            # the cell centre's offset from the box centre, in half box widths of the source box, is kept in pixels
            u, v = (((torch.tensor(centres[i][j]) + 0.5) / size * 2 - 1) * from_scale / to_scale + 1) / 2 * size - 0.5
            row, col = divmod(int(out[i, j].argmax()), size)
            assert abs(col - u) <= 1 and abs(row - v) <= 1, (i, j, col, row, float(u), float(v))
    # a tighter source box does not reach the border of the wider target box, a wider one covers all of it
    assert bool(inside.all()) == (from_scale >= to_scale)
    if from_scale < to_scale:
        assert inside[0, 0] == 0 and inside[size // 2, size // 2] == 1


def test_heat_maps_at_their_own_scale_are_unchanged_and_an_empty_batch_passes():
    maps = torch.randn(3, 17, 56, 56)
    same, inside = maps_to_box_scale(maps, 1.35, 1.35)
    assert (same - maps).abs().max() < 1e-4 and inside.all()   # float rounding of the sample positions
    assert average_box_scales([maps], [1.35]) is maps
    empty = torch.zeros(0, 17, 56, 56)
    assert average_box_scales([empty, empty], [1.35, 1.2]).shape == (0, 17, 56, 56)


def test_average_box_scales_uses_only_the_maps_that_reach_a_cell():
    wide, tight = torch.full((1, 1, 56, 56), 2.0), torch.full((1, 1, 56, 56), 4.0)
    avg = average_box_scales([wide, tight], [1.4, 1.0])
    assert avg[0, 0, 0, 0] == 2.0            # the border of the 1.4x box: outside the 1x box
    assert avg[0, 0, 28, 28] == 3.0          # the centre: both


@pytest.mark.parametrize("extra", [{}, {"flip_test": True},
                                   {"head_box_scale": 1.2, "keypoint_box_scale": 1.35, "fine_level": True,
                                    "mask_refine_channels": 16, "flip_test": True}],
                         ids=["torchvision-heads", "flip", "margin-heads-flip"])
def test_keypoint_test_box_scales_change_keypoints_only(extra):
    torch.manual_seed(31)
    plain = build_model(dict(TINY, **extra)).eval()
    with torch.no_grad():
        plain.roi_heads.box_predictor.cls_score.bias[1] += 4.0  # persons among the detections
    scaled = build_model(with_test_settings(dict(TINY, **extra), {"keypoint_test_box_scales": [1.1, 1.5]})).eval()
    scaled.load_state_dict(plain.state_dict())
    assert list(scaled.roi_heads.keypoint_test_box_scales) == [1.1, 1.5]
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        a, b = plain([img])[0], scaled([img])[0]
    assert a["boxes"].shape[0] > 0 and set(a) == set(b)
    for k in ("boxes", "labels", "scores", "masks"):
        assert torch.equal(a[k], b[k]), k
    assert not torch.equal(a["keypoints_scores"], b["keypoints_scores"])
    assert b["keypoints"].shape == a["keypoints"].shape


def test_keypoint_test_box_scales_must_be_positive():
    with pytest.raises(ValueError, match="keypoint_test_box_scales must be positive"):
        build_model(dict(TINY, keypoint_test_box_scales=[1.2, 0.0]))


def test_mask_probs_at_one_scale_are_torchvisions_and_at_several_an_average_on_a_finer_grid():
    from torchvision.models.detection.roi_heads import maskrcnn_inference
    torch.manual_seed(33)
    logits = torch.randn(5, 7, 28, 28)
    labels = [torch.tensor([1, 3]), torch.tensor([6, 2, 1])]
    one = mask_probs_at_scales([logits], [1.2], labels)
    for a, b in zip(one, maskrcnn_inference(logits, labels)):
        assert torch.equal(a, b)
    # the same logits twice at the same scale: their average is those probabilities on the 84x84 grid
    two = mask_probs_at_scales([logits, logits], [1.2, 1.2], labels)
    assert [t.shape for t in two] == [(2, 1, 84, 84), (3, 1, 84, 84)]
    up, _ = maps_to_box_scale(torch.cat(one), 1.2, 1.2, 84)
    assert (torch.cat(two) - up).abs().max() < 1e-6
    # a tighter second box pulls the inner cells only; the border keeps the wide box's probabilities
    tight = torch.full_like(logits, 50.0)
    mixed = torch.cat(mask_probs_at_scales([logits, tight], [1.2, 1.0], labels))
    assert torch.equal(mixed[..., 0, :], up[..., 0, :])
    assert (mixed[..., 42, 42] > up[..., 42, 42]).all()
    empty = mask_probs_at_scales([torch.zeros(0, 7, 28, 28)] * 2, [1.2, 1.1], [torch.zeros(0, dtype=torch.int64)])
    assert empty[0].shape == (0, 1, 84, 84)


@pytest.mark.parametrize("scales", [[1.1], [1.1, 1.3]], ids=["one-scale", "two-scales"])
def test_mask_test_box_scales_change_masks_only_and_set_the_paste_box(scales):
    torch.manual_seed(35)
    cfg = dict(TINY, head_box_scale=1.2, flip_test=True)
    plain = build_model(cfg).eval()
    tested = build_model(with_test_settings(cfg, {"mask_test_box_scales": scales})).eval()
    tested.load_state_dict(plain.state_dict())
    assert list(tested.roi_heads.mask_test_box_scales) == sorted(scales, reverse=True)
    assert tested.transform.mask_box_scale == max(scales) and plain.transform.mask_box_scale == 1.2
    img = torch.rand(3, 300, 420)
    with torch.no_grad():
        a, b = plain([img])[0], tested([img])[0]
    assert a["boxes"].shape[0] > 0
    for k in ("boxes", "labels", "scores", "keypoints", "keypoints_scores"):
        assert torch.equal(a[k], b[k]), k
    assert b["masks"].shape == a["masks"].shape and not torch.equal(a["masks"], b["masks"])
    assert ((b["masks"] >= 0) & (b["masks"] <= 1)).all()


def test_mask_test_box_scales_must_be_positive():
    with pytest.raises(ValueError, match="mask_test_box_scales must be positive"):
        build_model(dict(TINY, mask_test_box_scales=[-1.0]))
