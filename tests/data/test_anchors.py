"""The toy dense-detection data: 1-D IoU, RetinaNet's anchor assignment (positive / ignored / negative), the generator."""

import pytest
import torch

from focal_teach.data import IGNORE, assign_anchors, interval_iou, make_dense_detection


def test_interval_iou_by_hand():
    iou = interval_iou(torch.tensor([0.0, 1.0, 3.0, 10.0]), 8.0, torch.tensor([0.0]), 8.0)[:, 0]
    # same width w, centres d apart: (w - d) / (w + d)
    torch.testing.assert_close(iou, torch.tensor([1.0, 7 / 9, 5 / 11, 0.0]))
    assert interval_iou(torch.tensor([0.0]), 4.0, torch.tensor([0.0]), 8.0).item() == pytest.approx(0.5)


def test_assignment_gives_a_positive_band_flanked_by_ignored_anchors():
    # one object of class 1, width 8, centred at 50; one anchor width 8
    t = assign_anchors(100, (8.0,), torch.tensor([50.0]), torch.tensor([8.0]), torch.tensor([1]), num_classes=3)
    assert t.shape == (3, 100)
    # IoU = (8 - d) / (8 + d): ≥ 0.5 for d ≤ 2, in [0.4, 0.5) for d = 3, < 0.4 beyond
    assert (t[1, 48:53] == 1).all() and (t[[0, 2], 48:53] == 0).all()
    assert (t[:, [47, 53]] == IGNORE).all()
    assert (t[:, :47] == 0).all() and (t[:, 54:] == 0).all()


def test_assignment_matches_the_anchor_width_that_fits():
    # a width-20 object: IoU 16/20 = 0.8 with the width-16 anchor, 8/20 = 0.4 (ignored) at width 8, 4/20 at width 4
    t = assign_anchors(100, (4.0, 8.0, 16.0), torch.tensor([50.0]), torch.tensor([20.0]), torch.tensor([0]), num_classes=1)
    width4, width8, width16 = t[0, :100], t[0, 100:200], t[0, 200:]
    assert (width4 != 1).all() and width8[50] == IGNORE and width16[50] == 1


def test_generated_data_has_bands_ignores_and_extreme_imbalance():
    data = make_dense_detection(4, num_positions=1024, objects_per_image=4, distractors_per_image=3, seed=3)
    assert data.signals.shape == (4, 1, 1024) and data.targets.shape == (4, 3, 3 * 1024)
    assert set(data.targets.unique().tolist()) == {IGNORE, 0.0, 1.0}
    # an anchor is positive for at most one class, and ignored for all classes or none
    assert ((data.targets == 1).sum(1) <= 1).all()
    ignored = data.targets == IGNORE
    assert (ignored.all(1) == ignored.any(1)).all()
    per_object = data.num_positives / 16
    assert 6 < per_object < 16
    assert data.num_negative_outputs / data.num_positives > 150
    # each image holds every class
    for i in range(4):
        assert set(data.objects[i, :, 2].long().tolist()) == {0, 1, 2}


def test_generated_data_is_seeded():
    a, b, c = (make_dense_detection(2, num_positions=512, objects_per_image=2, distractors_per_image=1, seed=s) for s in (5, 5, 6))
    assert torch.equal(a.signals, b.signals) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.signals, c.signals)


@pytest.mark.parametrize(
    "kwargs, complaint",
    [(dict(num_positions=256, objects_per_image=4), "num_positions"), (dict(num_classes=4), "num_classes"),
     (dict(noise=-1.0), "noise"), (dict(num_images=0), "num_images")],
)
def test_generator_rejects_bad_arguments(kwargs, complaint):
    with pytest.raises(ValueError, match=complaint):
        make_dense_detection(**{"num_images": 1, **kwargs})
