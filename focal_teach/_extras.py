"""The course's helpers need the ``notebooks`` extra; the loss library (``focal_teach.losses``) needs torch alone."""

from __future__ import annotations

import importlib.util

__all__ = ["require"]


def require(subpackage: str, *modules: str) -> None:
    """Raise one ``ImportError`` that says how to install every module in ``modules`` that is missing.

    Each of the course's subpackages calls this first, so that ``import focal_teach.figures``
    without matplotlib says what to install instead of failing deep inside a helper.
    """
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"{subpackage} needs {', '.join(missing)}, which the course's helpers use and the loss library "
            f"does not: pip install 'focal-teach[notebooks]' (or pip install {' '.join(_PIP_NAMES.get(m, m) for m in missing)})."
        )


_PIP_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow"}
