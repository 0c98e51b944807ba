"""The forecasting interface: events, their time slicing, the model registry."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from kamtibmas_analytics import forecast
from kamtibmas_analytics.forecast import base
from kamtibmas_analytics.grid import Grid


def test_it_sorts_events_by_time_and_drops_rows_without_place_or_time() -> None:
    ev = base.Events.from_arrays(
        x=[1.0, np.nan, 3.0, 4.0], y=[1.0, 2.0, 3.0, 4.0], t=[30.0, 10.0, np.nan, 20.0]
    )
    assert ev.t.tolist() == [20.0, 30.0]
    assert ev.x.tolist() == [4.0, 1.0]


def test_before_is_strict_and_between_is_half_open() -> None:
    ev = base.Events.from_arrays(x=[0.0] * 4, y=[0.0] * 4, t=[0.0, 10.0, 10.0, 20.0])
    assert len(ev.before(10.0)) == 1
    assert len(ev.between(10.0, 20.0)) == 2
    assert len(ev.between(10.0, 20.0001)) == 3


def test_windows_use_the_midpoint_only_when_short() -> None:
    day = base.DAY_S
    ev = base.Events.from_windows(
        [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 100.0, 200.0], [3600.0, np.nan, 200.0 + 3 * day]
    )
    assert sorted(ev.t.tolist()) == [100.0, 200.0, 1800.0]


def test_categories_follow_their_events() -> None:
    ev = base.Events.from_arrays([0.0, 1.0], [0.0, 1.0], [5.0, 1.0], category=["a", "b"])
    assert ev.category is not None and ev.category.tolist() == ["b", "a"]
    assert ev.select([False, True]).category.tolist() == ["a"]  # type: ignore[union-attr]


def test_it_refuses_arrays_of_different_length() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        base.Events.from_arrays([0.0], [0.0, 1.0], [0.0])


def test_check_scores_rejects_wrong_shape_and_negative_values() -> None:
    grid = Grid(0.0, 0.0, 10.0, nx=2, ny=1)
    assert base.check_scores([[0.0, 1.0]], grid).shape == (1, 2)
    with pytest.raises(ValueError):
        base.check_scores([[0.0, -1.0]], grid)
    with pytest.raises(ValueError):
        base.check_scores([0.0, 1.0], grid)


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="last_period"):
        forecast.make_model("crystal_ball")


@pytest.mark.parametrize("name", forecast.MODEL_NAMES)
def test_every_registered_model_exists_and_says_its_name(name: str) -> None:
    model = forecast.make_model(name)
    assert model.name == name
    assert model.describe()["model"] == name


def test_docstring_examples_run() -> None:
    assert doctest.testmod(base).failed == 0
    assert doctest.testmod(forecast).failed == 0
