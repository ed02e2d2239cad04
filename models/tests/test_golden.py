import copy

import torch

from sparkseg_models.golden import weights_differing
from sparkseg_models.model import build_model

TINY = {"fpn_channels": 32, "box_repr": 64, "mask_channels": 32, "keypoint_channels": 32, "keypoint_layers": 2,
        "mask_layers": 2}


def test_weights_differing_names_changed_and_missing_tensors_only():
    a = build_model(TINY)
    b = copy.deepcopy(a)
    assert weights_differing(a, b) == []
    with torch.no_grad():
        b.roi_heads.box_head.fc6.bias[0] += 1e-6
    assert weights_differing(a, b) == ["roi_heads.box_head.fc6.bias"]
    grown = build_model(dict(TINY, keypoint_context_layers=1))
    assert any(k.startswith("roi_heads.keypoint_head.") for k in weights_differing(a, grown))
