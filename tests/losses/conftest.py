"""Every loss test runs once per device: "cpu", and "cuda" where a GPU is present (skipped otherwise).

The ``device`` fixture is autouse: on CUDA it also makes CUDA the default device for the test's
duration, so that tests written with plain ``torch.randn(...)`` build their tensors there. Tests
that need the device by name (``.to(device)``, ``device=``) request the fixture.
"""

import pytest
import torch

_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@pytest.fixture(autouse=True, params=["cpu", pytest.param("cuda", marks=_CUDA)])
def device(request):
    if request.param == "cpu":  # CPU is the default already: no device mode on the stack
        yield torch.device("cpu")
        return
    previous = torch.get_default_device()
    torch.set_default_device(request.param)
    try:
        yield torch.device(request.param)
    finally:
        torch.set_default_device(previous)
