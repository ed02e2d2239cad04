import numpy as np

from sparkseg_models.coco import KEYPOINT_NAMES, mask_bbox, rle_encode
from sparkseg_models.diagnose import diagnose, resampled_mask_iou


def _gt():
    h, w = 120, 160
    car = np.zeros((h, w), np.uint8)
    car[20:60, 10:90] = 1
    person = np.zeros((h, w), np.uint8)
    person[30:110, 100:130] = 1
    person[60:64, 90:150] = 1            # thin arms: what a 28x28 head resolves only roughly
    kps = []
    for k in range(len(KEYPOINT_NAMES)):
        kps += [105.0 + k, 35.0 + 4 * k, 2]
    anns = []
    for i, (cat, m) in enumerate(((3, car), (1, person))):
        a = {"id": i + 1, "image_id": 7, "category_id": cat, "iscrowd": 0, "area": float(m.sum()),
             "bbox": mask_bbox(m), "segmentation": {"size": [h, w], "counts": rle_encode(m)}}
        if cat == 1:
            a["keypoints"], a["num_keypoints"] = kps, len(KEYPOINT_NAMES)
        anns.append(a)
    gt = {"images": [{"id": 7, "height": h, "width": w, "file_name": "x.jpg"}],
          "categories": [{"id": 1, "name": "person", "keypoints": KEYPOINT_NAMES}, {"id": 3, "name": "car"}],
          "annotations": anns}
    return gt, {"car": car, "person": person}


def test_perfect_detections_and_a_mask_missing_the_legs():
    gt, masks = _gt()
    car, person = gt["annotations"]
    partial = masks["person"].copy().astype(bool)
    partial[90:110, 100:130] = False      # the head lost the legs
    dts = [{"image_id": 7, "category_id": 3, "score": 0.9, "bbox": car["bbox"], "mask": masks["car"] > 0},
           {"image_id": 7, "category_id": 1, "score": 0.8, "bbox": person["bbox"], "mask": partial,
            "keypoints": [v + (3.0 if i % 3 == 0 else 0.0) for i, v in enumerate(person["keypoints"])]}]
    res = diagnose(gt, dts, [7])
    c, p = res["categories"]["car"], res["categories"]["person"]
    assert c["n"] == 1 and c["found"] == 1.0 and c["box_iou"] == 1.0 and c["mask_iou"] == 1.0
    assert c["oracle_pred_box"] > 0.97 and c["oracle_gt_box"] > 0.97
    want = 1 - 600 / masks["person"].sum()
    assert abs(p["mask_iou"] - round(want, 3)) < 1e-3
    assert p["oracle_pred_box"] > p["mask_iou"]              # the head, not the box, lost those pixels
    k = res["keypoints"]["nose"]
    assert k["n"] == 1 and abs(k["median_error"] - 3.0 / np.sqrt(person["area"])) < 1e-4


def test_oracles_use_the_box_the_heads_work_in():
    gt, masks = _gt()
    car = gt["annotations"][0]
    x, y, w, h = car["bbox"]
    # a box that cut off the car's right third: a perfect head in it misses that third, in the enlarged box less
    tight = [x, y, w * 0.7, h]
    dts = [{"image_id": 7, "category_id": 3, "score": 0.9, "bbox": tight, "mask": masks["car"] > 0}]
    plain = diagnose(gt, dts, [7])["categories"]["car"]["oracle_pred_box"]
    wide = diagnose(gt, dts, [7], box_scale=1.5)["categories"]["car"]["oracle_pred_box"]
    assert plain < 0.75 and wide > plain + 0.1


def test_a_detection_of_another_category_or_a_far_box_is_not_found():
    gt, masks = _gt()
    car = gt["annotations"][0]
    x, y, w, h = car["bbox"]
    dts = [{"image_id": 7, "category_id": 1, "score": 0.9, "bbox": car["bbox"], "mask": masks["car"] > 0},
           {"image_id": 7, "category_id": 3, "score": 0.9, "bbox": [x + w * 0.7, y, w, h], "mask": masks["car"] > 0}]
    res = diagnose(gt, dts, [7])
    assert res["categories"]["car"]["found"] == 0.0 and res["categories"]["car"]["box_iou"] is None


def test_resampling_a_box_shaped_mask_keeps_it():
    m = np.zeros((50, 50), np.uint8)
    m[10:40, 5:45] = 1
    assert resampled_mask_iou(m, [5, 10, 45, 40]) > 0.9   # edges: the 28x28 grid and the paste


def _person(aid, x0, kps, area=3000.0):
    return {"id": aid, "image_id": 9, "category_id": 1, "iscrowd": 0, "area": area, "bbox": [x0, 0, 60, 100],
            "keypoints": [v for xyv in kps for v in xyv], "num_keypoints": sum(1 for p in kps if p[2] > 0)}


def test_gross_keypoint_misses_are_told_apart():
    # two people 100 px apart with their keypoints 5 px apart down a column, the wrists far to either side
    def pose(x):
        kps = [[x + 30.0, 5.0 + 5 * k, 2] for k in range(len(KEYPOINT_NAMES))]
        left, right = KEYPOINT_NAMES.index("left_wrist"), KEYPOINT_NAMES.index("right_wrist")
        kps[left][0], kps[right][0] = x + 55.0, x + 5.0
        kps[KEYPOINT_NAMES.index("left_ankle")][2] = 1                    # behind something
        return kps
    a, b = _person(1, 0, pose(0)), _person(2, 100, pose(100))
    gt = {"images": [{"id": 9, "height": 100, "width": 200, "file_name": "x.jpg"}],
          "categories": [{"id": 1, "name": "person", "keypoints": KEYPOINT_NAMES}], "annotations": [a, b]}
    pred = [list(p) for p in pose(0)]
    lw, rw = KEYPOINT_NAMES.index("left_wrist"), KEYPOINT_NAMES.index("right_wrist")
    nose, la = KEYPOINT_NAMES.index("nose"), KEYPOINT_NAMES.index("left_ankle")
    pred[lw][:2] = pose(0)[rw][:2]                  # left for right
    pred[nose][:2] = pose(100)[nose][:2]            # on the other person
    pred[la][0] += 40                                # a guess for the hidden ankle
    dts = [{"image_id": 9, "category_id": 1, "score": 0.9, "bbox": a["bbox"], "keypoints": sum(pred, [])}]
    res = diagnose(gt, dts, [9])["keypoints"]
    assert res["left_wrist"]["oks_below_half"] == 1.0
    assert (res["left_wrist"]["swapped"], res["left_wrist"]["other_person"], res["left_wrist"]["hidden"]) == (1, 0, 0)
    assert (res["nose"]["swapped"], res["nose"]["other_person"], res["nose"]["hidden"]) == (0, 1, 0)
    assert (res["left_ankle"]["swapped"], res["left_ankle"]["other_person"], res["left_ankle"]["hidden"]) == (0, 0, 1)
    assert res["right_wrist"]["oks_below_half"] == 0.0 and res["right_wrist"]["swapped"] is None
