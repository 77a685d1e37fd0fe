"""figures.reliability_diagram: one bar pair per non-empty bin, the ECE in the legend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from focal_teach.experiments import calibration_bins, expected_calibration_error  # noqa: E402
from focal_teach.figures import reliability_diagram  # noqa: E402


def test_reliability_diagram_draws_one_bar_pair_per_non_empty_bin():
    rng = np.random.default_rng(2)
    probs = torch.softmax(torch.tensor(rng.normal(size=(500, 4)) * 2), 1).numpy()
    labels = rng.integers(0, 4, 500)
    ax = reliability_diagram(probs, labels, title="demo")
    non_empty = int((calibration_bins(probs, labels).count > 0).sum())
    assert len(ax.patches) == 2 * non_empty
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"ECE = {100 * expected_calibration_error(probs, labels):.1f} %" in texts
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "demo"
    plt.close(ax.figure)
    assert reliability_diagram(probs, labels, legend=False).get_legend() is None
    plt.close("all")
