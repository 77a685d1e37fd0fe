"""The step-by-step pieces: each equation of Lin et al. (2017) on its own."""

import math

import pytest
import torch

from focal_teach import alpha_weight, cross_entropy_term, focal_term, modulating_factor


def test_cross_entropy_term():
    p = torch.tensor([1.0, 0.5, 0.1, 0.0])
    torch.testing.assert_close(cross_entropy_term(p), torch.tensor([0.0, math.log(2), -math.log(0.1), math.inf]))


def test_modulating_factor_matches_the_paper():
    # γ = 2: p_t = 0.9 has 100x less loss than CE; 1000x at p_t ≈ 0.968 (976.6x at exactly 0.968)
    assert 1 / modulating_factor(0.9, 2.0).item() == pytest.approx(100.0)
    assert 1 / modulating_factor(0.968, 2.0).item() == pytest.approx(976.5625)
    assert 1 / modulating_factor(1 - 1 / math.sqrt(1000), 2.0).item() == pytest.approx(1000.0)
    # misclassified examples (p_t ≤ 0.5) are scaled down by at most 4x
    p = torch.linspace(0, 0.5, 11)
    assert (modulating_factor(p, 2.0) >= 0.25 - 1e-7).all()


def test_modulating_factor_edges():
    p = torch.tensor([0.0, 0.3, 1.0])
    assert torch.equal(modulating_factor(p, 0.0), torch.ones(3))  # γ = 0: cross-entropy, 0**0 = 1
    assert modulating_factor(p, 2.0)[-1] == 0.0
    assert modulating_factor(p, 0.5)[0] == 1.0


def test_modulating_factor_per_example_gamma():
    p = torch.tensor([0.1, 0.5, 0.9])
    torch.testing.assert_close(modulating_factor(p, torch.tensor([5.0, 3.0, 3.0])), (1 - p) ** torch.tensor([5.0, 3.0, 3.0]))


def test_alpha_weight_binary():
    y = torch.tensor([1, 0, 1, 0])
    torch.testing.assert_close(alpha_weight(y, 0.25), torch.tensor([0.25, 0.75, 0.25, 0.75]))
    torch.testing.assert_close(alpha_weight(y.bool(), 0.25), torch.tensor([0.25, 0.75, 0.25, 0.75]))
    # soft label: interpolation, as torchvision
    torch.testing.assert_close(alpha_weight(torch.tensor([0.5]), 0.25), torch.tensor([0.5]))
    assert torch.equal(alpha_weight(y, None), torch.ones(4))


def test_alpha_weight_per_class():
    t = torch.tensor([2, 0, 1, 2])
    torch.testing.assert_close(alpha_weight(t, [0.1, 0.2, 0.7]), torch.tensor([0.7, 0.1, 0.2, 0.7]))
    torch.testing.assert_close(alpha_weight(t, torch.tensor([0.1, 0.2, 0.7])), torch.tensor([0.7, 0.1, 0.2, 0.7]))


def test_focal_term_is_the_product_of_the_pieces():
    p = torch.rand(100).clamp_min(1e-3)
    y = (torch.rand(100) > 0.5).long()
    a = alpha_weight(y, 0.25)
    torch.testing.assert_close(focal_term(p, 2.0, a), a * (1 - p) ** 2 * -torch.log(p))
    torch.testing.assert_close(focal_term(p, 0.0), cross_entropy_term(p))


def test_pieces_take_numbers_arrays_and_tensors():
    import numpy as np

    assert focal_term(0.5, 2.0).item() == pytest.approx(0.25 * math.log(2))
    out = focal_term(np.array([0.25, 0.5]), 1.0)
    assert isinstance(out, torch.Tensor) and out.shape == (2,)


def test_pieces_reject_bad_input():
    with pytest.raises(ValueError, match="p_t must hold probabilities"):
        cross_entropy_term(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="p_t must hold probabilities"):
        modulating_factor(torch.tensor([-0.1]), 2.0)
    with pytest.raises(ValueError, match="gamma"):
        modulating_factor(torch.tensor([0.5]), -1.0)
    with pytest.raises(ValueError, match="alpha must lie in"):
        alpha_weight(torch.tensor([1]), 1.5)
    with pytest.raises(ValueError, match="outside"):
        alpha_weight(torch.tensor([3]), [0.1, 0.2, 0.7])
    with pytest.raises(TypeError, match="p_t must be"):
        cross_entropy_term("0.5")
