import ipywidgets as widgets
import pytest
from torch import nn

from focal_teach import binary_focal_loss
from focal_teach.experiments import fit, predict, seed_everything
from focal_teach.data import imbalanced_2d, long_tailed_digits
from focal_teach.experiments import binary_metrics
from focal_teach.explorers import TrainingExplorer, training_explorer
from hosts.ipython_display import displayed_widget_ids

DATA = imbalanced_2d(n_train=400, n_test=2000, ratio=10, seed=0)
EPOCHS = 40


def make_model():
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Flatten(0))


def trained(gamma, alpha):
    seed_everything(0)
    model = make_model()
    fit(model, lambda x, y: binary_focal_loss(x, y, gamma=gamma, alpha=alpha), DATA.x_train, DATA.y_train, epochs=EPOCHS, lr=0.03)
    return model


@pytest.fixture(scope="module")
def explorer():
    return training_explorer(DATA, make_model, epochs=EPOCHS, lr=0.03, seed=0, gamma=2.0, alpha=0.25)


def test_shows_the_model_trained_with_the_initial_values(explorer):
    assert isinstance(explorer, TrainingExplorer)
    assert explorer.values == {"gamma": 2.0, "alpha": 0.25}
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    expected = binary_metrics(DATA.y_test, predict(trained(2.0, 0.25), DATA.x_test).sigmoid())
    ax_map, ax_pr = explorer.figure.axes[:2]
    assert ax_pr.get_title() == (
        f"test set, threshold 0.5: recall {expected['recall']:.2f}, precision {expected['precision']:.2f}"
    )
    assert "γ = 2, α = 0.25" in ax_map.get_title()
    assert "trained" in explorer.status.value and explorer.seconds > 0


def test_moving_a_slider_only_arms_the_button(explorer):
    before = bytes(explorer.image.value)
    explorer.controls["alpha"].value = 0.75
    assert bytes(explorer.image.value) == before  # no retraining on a slider step
    assert explorer.button.button_style == "primary" and "press train" in explorer.status.value


def test_pressing_train_retrains_and_redraws_in_place(explorer):
    explorer.controls["alpha"].value = 0.75
    figure, before = explorer.figure, bytes(explorer.image.value)
    boundary_before = explorer.figure.axes[0].collections[-1]
    explorer.button.click()
    assert explorer.figure is figure
    assert bytes(explorer.image.value) != before
    assert explorer.button.button_style == ""
    expected = binary_metrics(DATA.y_test, predict(trained(2.0, 0.75), DATA.x_test).sigmoid())
    assert f"recall {expected['recall']:.2f}" in explorer.figure.axes[1].get_title()
    recall, precision = explorer.figure.axes[1].get_lines()[1].get_data()
    assert (recall[0], precision[0]) == pytest.approx((expected["recall"], expected["precision"]))
    assert boundary_before not in explorer.figure.axes[0].collections  # the old boundary is gone
    assert explorer.seconds < 30  # generous: the notebook's setting retrains in well under 2 s


def test_widget_layout_and_baseline():
    baseline = trained(0.0, None)
    e = training_explorer(DATA, make_model, epochs=5, baseline=baseline, baseline_name="CE")
    controls = e.widget.children[0].children
    assert isinstance(controls[-2], widgets.Button) and controls[-1] is e.status
    assert e.widget.children[1] is e.image
    labels = [t.get_text() for t in e.figure.axes[1].get_legend().get_texts()]
    assert labels[0].startswith("CE (AP = ") and labels[1].startswith("γ = 2, α = 0.25 (AP = ")
    assert displayed_widget_ids(e) == [e.widget.model_id]  # ipywidgets 7 and 8 alike


def test_bad_input():
    with pytest.raises(TypeError, match="Split of 2-D points"):
        training_explorer(long_tailed_digits(), make_model)
    with pytest.raises(TypeError, match="make_model must be a function"):
        training_explorer(DATA, make_model())
