"""Per call and per update, apart: the line fitted to runs of two or more lengths recovers a known
line from synthetic timings, and the measurement's spread is the range of the per-repeat fits."""

import pytest

from fitways.timing import LONG_RUN_SECONDS, Measurement, fit_line, second_length
from impls.problem import MAX_UPDATES

PER_CALL, PER_UPDATE = 400e-6, 0.065e-6  # tf_xla's shape: a heavy call, a light update


def line(n):
    return PER_CALL + n * PER_UPDATE


@pytest.mark.parametrize("lengths", [(150, 7500), (75, 150, 3000, 60_000)])
def test_the_fit_recovers_a_known_line(lengths):
    per_call, per_update = fit_line({n: line(n) for n in lengths})
    assert per_call == pytest.approx(PER_CALL, rel=1e-9)
    assert per_update == pytest.approx(PER_UPDATE, rel=1e-9)


def test_the_fit_is_least_squares_over_the_lengths():
    """Noise of +e, −2e, +e at n = 0, 1, 2 is orthogonal to a line: least squares returns the line."""
    e = 1e-6
    per_call, per_update = fit_line({0: line(0) + e, 1000: line(1000) - 2 * e, 2000: line(2000) + e})
    assert per_call == pytest.approx(PER_CALL, rel=1e-9) and per_update == pytest.approx(PER_UPDATE, rel=1e-6)
    # control: the mean over updates of one run, what the table showed before, is not the per-update cost
    assert line(150) / 150 > 40 * PER_UPDATE


def test_the_fit_needs_two_lengths():
    with pytest.raises(ValueError, match="two different lengths"):
        fit_line({150: line(150)})


def test_the_second_length_separates_the_two_costs():
    assert second_length(150, 150 * 4e-3) == 15  # a slow Python loop: a tenth as long
    # a compiled loop: ⌈0.02 s / 410 µs⌉ = 49 times as long, so that its updates show beside its call
    assert LONG_RUN_SECONDS == 0.02 and second_length(150, line(150)) == 150 * 49
    assert second_length(1, 1.0) == 2 and second_length(5, 1.0) == 1
    assert second_length(MAX_UPDATES, 1e-3) == MAX_UPDATES // 10
    assert second_length(10, 1e-12) == MAX_UPDATES  # never past what a Config accepts


def test_the_measurement_reports_both_costs_and_their_spread():
    # repeat k runs 1 µs slower at both lengths, k = 0, 1, 2: every per-repeat fit has the same slope
    runs = {150: [line(150) + k * 1e-6 for k in range(3)], 7500: [line(7500) + k * 1e-6 for k in range(3)]}
    measured = Measurement(final=(2.0, -1.0), trajectory=None, updates=150, first_seconds=0.5, run_seconds=runs,
                           logged_seconds=[line(150)])  # fmt: skip
    assert measured.seconds_per_call == pytest.approx(PER_CALL + 1e-6)  # the medians' line
    assert measured.seconds_per_update == pytest.approx(PER_UPDATE)
    low, high = measured.spread["seconds_per_call"]
    assert low == pytest.approx(PER_CALL) and high == pytest.approx(PER_CALL + 2e-6)
    assert measured.spread["seconds_per_update"] == pytest.approx((PER_UPDATE, PER_UPDATE))
    assert measured.first_call_extra_seconds == pytest.approx(0.5 - line(150) - 1e-6)
