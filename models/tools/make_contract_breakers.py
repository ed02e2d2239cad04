"""Tiny TorchScript files that load fine but break sparkseg's model contract, for the Java
tests of bundle validation (core/src/test/resources/bundles/). Deterministic.

Run: /usr/bin/python3 models/tools/make_contract_breakers.py
"""
import os
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor
from torchvision.models.detection.image_list import ImageList

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "core", "src", "test", "resources", "bundles")


class ThreeOutputs(torch.nn.Module):
    """Returns 3 tensors instead of the 7 the contract names."""

    def forward(self, images: Tensor, sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        n = images.shape[0]
        return torch.zeros(n, 4), torch.zeros(n), torch.zeros(n, dtype=torch.int64)


class WrongMaskShape(torch.nn.Module):
    """Seven outputs, but 14x14 masks where the bundle declares 28x28."""

    def forward(self, images: Tensor, sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        n = 1
        return (torch.tensor([[1.0, 1.0, 10.0, 10.0]]), torch.tensor([0.9]), torch.tensor([1]),
                torch.zeros(n, 1, 14, 14), torch.zeros(n, 17, 3), torch.zeros(n, 17), torch.zeros(n, dtype=torch.int64))


class TwoInputsOnly(torch.nn.Module):
    """Follows the contract for (images, sizes), but takes no optional input: wrong for a bundle that declares
    min_score (or flip)."""

    def forward(self, images: Tensor, sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        n = 1
        return (torch.tensor([[1.0, 1.0, 10.0, 10.0]]), torch.tensor([0.9]), torch.tensor([1]),
                torch.zeros(n, 1, 28, 28), torch.zeros(n, 17, 3), torch.zeros(n, 17), torch.zeros(n, dtype=torch.int64))


class _Sizes:
    """A plain TorchScript class: assigning its own attributes is fine (each call makes a new one)."""

    def __init__(self, sizes: Tensor):
        self.sizes = sizes


class WritesModuleState(torch.nn.Module):
    """Follows the output contract, but its forward assigns a module attribute (as torchvision's
    AnchorGenerator does), which is unsafe when threads share the module."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, images: Tensor, sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        self.calls += 1
        s = _Sizes(sizes)
        n = s.sizes.shape[0] * 0
        return (torch.zeros(n, 4), torch.zeros(n), torch.zeros(n, dtype=torch.int64), torch.zeros(n, 1, 28, 28),
                torch.zeros(n, 17, 3), torch.zeros(n, 17), torch.zeros(n, dtype=torch.int64))


class _Counter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.seen = 0

    def forward(self, x: Tensor) -> Tensor:
        return x


class WritesSubmoduleState(torch.nn.Module):
    """Follows the output contract, but its forward assigns a submodule's attribute through a local alias,
    and names its receiver ``this``: the saved code then spells the write ``counter.seen = ...``."""

    def __init__(self):
        super().__init__()
        self.counter = _Counter()

    def forward(this, images: Tensor, sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        counter = this.counter
        counter.seen = counter.seen + 1
        n = counter(sizes).shape[0] * 0
        return (torch.zeros(n, 4), torch.zeros(n), torch.zeros(n, dtype=torch.int64), torch.zeros(n, 1, 28, 28),
                torch.zeros(n, 17, 3), torch.zeros(n, 17), torch.zeros(n, dtype=torch.int64))


class TorchvisionStatefulParts(torch.nn.Module):
    """torchvision's own AnchorGenerator and MultiScaleRoIAlign, which assign module attributes in forward
    (what sparkseg's exporter replaces); not a bundle, only for the Java check that finds those writes."""

    def __init__(self):
        super().__init__()
        from torchvision.models.detection.anchor_utils import AnchorGenerator
        from torchvision.ops import MultiScaleRoIAlign
        self.anchors = AnchorGenerator(((16,),), ((1.0,),))
        self.pool = MultiScaleRoIAlign(["0"], 7, 2)

    def forward(self, x: Tensor) -> List[Tensor]:
        images = ImageList(x, [(x.shape[-2], x.shape[-1])])
        return self.anchors(images, [x])


class _Cache:
    """A plain TorchScript class that a module holds (so its fields are shared by the module's callers)."""

    def __init__(self, hits: int):
        self.optional_hits = hits
        self.listed_hits = hits
        self.keyed_hits = hits
        self.indexed_hits = hits
        self.own_hits = hits


class WritesHeldObjects(torch.nn.Module):
    """Follows the output contract, but its forward assigns fields of objects the module holds in an
    Optional, a List and a Dict attribute: the saved code reaches them through ``unchecked_cast``, a
    subscript into a local, and a subscript written in place. The _Cache it creates itself is not shared."""
    maybe: Optional[_Cache]
    caches: List[_Cache]
    by_name: Dict[str, _Cache]

    def __init__(self):
        super().__init__()
        self.maybe = _Cache(0)
        self.caches = [_Cache(0)]
        self.by_name = {"a": _Cache(0)}

    def forward(self, images: Tensor, sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        maybe = self.maybe
        if maybe is not None:
            maybe.optional_hits += 1
        for c in self.caches:
            c.listed_hits += 1
        self.caches[0].indexed_hits += 1
        self.by_name["a"].keyed_hits += 1
        mine = _Cache(1)
        mine.own_hits += 1
        n = sizes.shape[0] * 0 * mine.own_hits
        return (torch.zeros(n, 4), torch.zeros(n), torch.zeros(n, dtype=torch.int64), torch.zeros(n, 1, 28, 28),
                torch.zeros(n, 17, 3), torch.zeros(n, 17), torch.zeros(n, dtype=torch.int64))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.jit.script(ThreeOutputs()).save(os.path.join(OUT, "three_outputs.pt"))
    torch.jit.script(WrongMaskShape()).save(os.path.join(OUT, "wrong_mask_shape.pt"))
    torch.jit.script(TwoInputsOnly()).save(os.path.join(OUT, "two_inputs_only.pt"))
    torch.jit.script(WritesModuleState()).save(os.path.join(OUT, "writes_module_state.pt"))
    torch.jit.script(WritesSubmoduleState()).save(os.path.join(OUT, "writes_submodule_state.pt"))
    torch.jit.script(WritesHeldObjects()).save(os.path.join(OUT, "writes_held_objects.pt"))
    torch.jit.script(TorchvisionStatefulParts()).save(os.path.join(OUT, "torchvision_stateful_parts.pt"))
    print("wrote", os.listdir(OUT))


if __name__ == "__main__":
    main()
