import json
import os

import pytest

from sparkseg_models.evaluate import evaluate

VEC = "/work/shared/coco-vectors"


@pytest.mark.parametrize("case", ["c01_tiny", "c02_small_mixed", "c03_three_cats_kp", "c04_crowd_ties",
                                  "c07_person_only"])
def test_dev_evaluator_matches_pycocotools_bbox_and_keypoints(case):
    d = os.path.join(VEC, case)
    if not os.path.isdir(d):
        pytest.skip("coco vectors not present")
    gt = json.load(open(os.path.join(d, "gt.json")))
    dts = json.load(open(os.path.join(d, "dt.json")))
    exp = json.load(open(os.path.join(d, "expected.json")))
    res = evaluate(gt, dts, [im["id"] for im in gt["images"]], ("bbox", "keypoints"))
    assert abs(res["bbox"][0] - exp["bbox"]["stats"][0]) < 1e-9
    assert abs(res["keypoints"][0] - exp["keypoints"]["stats"][0]) < 1e-9
