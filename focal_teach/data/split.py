"""A train/test split of tensors: what every data set of the course returns."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

__all__ = ["Split"]


@dataclass(frozen=True, repr=False)
class Split:
    """A train/test split as tensors.

    Attributes:
        x_train, x_test: inputs, the first dim indexes examples.
        y_train, y_test: ``torch.long`` class indices (``IGNORE_INDEX`` at padding, for sequences).
        class_names: name of each class, ``class_names[k]`` for label ``k``.
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __repr__(self) -> str:
        def shape(t: Tensor) -> str:
            return "×".join(map(str, t.shape))

        return (
            f"Split(train: x {shape(self.x_train)}, y {shape(self.y_train)}; "
            f"test: x {shape(self.x_test)}, y {shape(self.y_test)}; classes {list(self.class_names)})"
        )
