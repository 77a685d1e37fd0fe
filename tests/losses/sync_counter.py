"""Count host syncs: the operators that make the host wait for the device's data.

Every ``.item()``, ``bool(t)``, ``int(t)``, ``float(t)`` and ``if t:`` reaches the dispatcher as
``aten._local_scalar_dense`` (``is_nonzero`` and ``item`` on the way), and ops whose output
shape depends on the data (``nonzero``, ``masked_select``, ``unique``, boolean indexing) must
read it too. A ``TorchDispatchMode`` sees every operator of forward and backward on any
device, so counting there on CPU tells what CUDA would stall on (where
``torch.cuda.set_sync_debug_mode`` would). ``tolist()``/``numpy()`` copy the data to the host
without an operator on CPU; a ``TorchFunctionMode`` counts those calls.
"""

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

SYNC_OPERATORS = {
    "_local_scalar_dense",
    "is_nonzero",
    "item",
    "nonzero",
    "masked_select",
    "_unique2",
    "unique_dim",
    "unique_consecutive",
    "repeat_interleave",
}
# a boolean index is turned into nonzero() inside the kernel, below the dispatch mode
BOOL_INDEXING = {"index", "index_put", "index_put_", "_index_put_impl_"}
SYNC_METHODS = {"tolist", "numpy", "item", "__bool__", "__int__", "__float__", "__index__"}


def _has_bool_index(args) -> bool:
    indices = args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else ()
    return any(i is not None and i.dtype in (torch.bool, torch.uint8) for i in indices)


class _Operators(TorchDispatchMode):
    def __init__(self, record):
        super().__init__()
        self.record = record

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in SYNC_OPERATORS or (name in BOOL_INDEXING and _has_bool_index(args)):
            self.record.append(f"aten.{name}")
        return func(*args, **(kwargs or {}))


class _Methods(TorchFunctionMode):
    def __init__(self, record):
        super().__init__()
        self.record = record

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", None) in SYNC_METHODS:
            self.record.append(f"Tensor.{func.__name__}")
        return func(*args, **(kwargs or {}))


def host_syncs(fn) -> list[str]:
    """Run ``fn()`` and return the name of every host sync it made, in order."""
    record: list[str] = []
    with _Methods(record), _Operators(record):
        fn()
    return record
