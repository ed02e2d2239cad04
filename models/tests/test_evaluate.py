import json
import os

import pytest

from sparkseg_models.evaluate import evaluate

# ../shared beside the repository root, as the Java tests read it
VEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "coco-vectors")


@pytest.mark.parametrize("case", ["c01_tiny", "c02_small_mixed", "c03_three_cats_kp", "c04_crowd_ties",
                                  "c07_person_only"])
def test_dev_evaluator_matches_pycocotools_bbox_and_keypoints(case):
    d = os.path.join(VEC, case)
    if not os.path.isdir(d):
        pytest.fail(f"the pycocotools vectors are missing: {d} (../shared/coco-vectors beside the repository)")
    gt = json.load(open(os.path.join(d, "gt.json")))
    dts = json.load(open(os.path.join(d, "dt.json")))
    exp = json.load(open(os.path.join(d, "expected.json")))
    res = evaluate(gt, dts, [im["id"] for im in gt["images"]], ("bbox", "keypoints"))
    assert abs(res["bbox"][0] - exp["bbox"]["stats"][0]) < 1e-9
    assert abs(res["keypoints"][0] - exp["keypoints"]["stats"][0]) < 1e-9


def test_segm_ranks_masks_by_mask_score_when_given():
    import numpy as np
    from sparkseg_models.coco import rle_encode
    exact = np.zeros((10, 10), bool)
    exact[2:8, 2:8] = True
    ann = {"id": 1, "image_id": 1, "category_id": 3, "iscrowd": 0, "area": 36.0, "bbox": [2, 2, 6, 6],
           "segmentation": {"size": [10, 10], "counts": rle_encode(exact)}}
    gt = {"images": [{"id": 1, "width": 10, "height": 10}], "annotations": [ann],
          "categories": [{"id": 3, "name": "car"}]}
    poor = np.zeros((10, 10), bool)
    poor[0:4, 0:10] = True
    dts = [{"image_id": 1, "category_id": 3, "score": 0.9, "bbox": [0, 0, 10, 4], "mask": poor},
           {"image_id": 1, "category_id": 3, "score": 0.5, "bbox": [2, 2, 6, 6], "mask": exact}]
    by_score = evaluate(gt, dts, [1], ("segm",))["segm"][0]
    assert abs(by_score - 0.5) < 1e-9  # the poor mask first: precision 1/2 at the only recall
    dts[0]["mask_score"], dts[1]["mask_score"] = 0.2, 0.45
    assert abs(evaluate(gt, dts, [1], ("segm",))["segm"][0] - 1.0) < 1e-9


def test_mask_score_is_score_times_mean_foreground_probability():
    import numpy as np
    from sparkseg_models.coco import mask_score
    p = np.array([[0.2, 0.6], [0.8, 1.0]], np.float32)
    assert abs(mask_score(0.5, p) - 0.5 * (0.6 + 0.8 + 1.0) / 3) < 1e-7
    assert mask_score(0.9, np.full((3, 3), 0.5, np.float32)) == 0.0  # nothing strictly above the threshold
