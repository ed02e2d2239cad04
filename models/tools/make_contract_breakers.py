"""Tiny TorchScript files that load fine but break sparkseg's model contract, for the Java
tests of bundle validation (core/src/test/resources/bundles/). Deterministic.

Run: /usr/bin/python3 models/tools/make_contract_breakers.py
"""
import os
from typing import Tuple

import torch
from torch import Tensor

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


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.jit.script(ThreeOutputs()).save(os.path.join(OUT, "three_outputs.pt"))
    torch.jit.script(WrongMaskShape()).save(os.path.join(OUT, "wrong_mask_shape.pt"))
    torch.jit.script(WritesModuleState()).save(os.path.join(OUT, "writes_module_state.pt"))
    print("wrote", os.listdir(OUT))


if __name__ == "__main__":
    main()
