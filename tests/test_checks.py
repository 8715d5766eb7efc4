"""repro.checks: the shared integer check names the parameter, the value and what is allowed."""
import numpy as np
import pytest

from repro.checks import check_int


def test_accepts_integers_in_range_and_returns_a_plain_int():
    assert check_int("seeds", 2, 2) == 2
    assert check_int("jobs", 10_000, 1, 10_000) == 10_000
    got = check_int("seeds", np.int64(12), 2)
    assert got == 12 and type(got) is int


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5, "3", None, [4]])
def test_rejects_what_is_not_an_integer(value):
    with pytest.raises(ValueError, match=r"^seeds=.* must be an integer >= 2$"):
        check_int("seeds", value, 2)


def test_message_names_the_range_the_reason_and_the_owner():
    with pytest.raises(ValueError, match=r"^jobs=0 must be a positive integer$"):
        check_int("jobs", 0, 1)
    with pytest.raises(ValueError, match=r"^--seeds=1 must be an integer from 2 to 10 \(paired tests\)$"):
        check_int("--seeds", 1, 2, 10, why="paired tests")
    with pytest.raises(ValueError, match=r"^seeds=11 must be an integer from 2 to 10$"):
        check_int("seeds", 11, 2, 10)
    with pytest.raises(ValueError, match=r"^claim 'x-y': seeds=1 must be an integer >= 2$"):
        check_int("seeds", 1, 2, where="claim 'x-y'")


def test_raises_the_callers_error_type():
    class ClaimProblem(ValueError):
        pass

    with pytest.raises(ClaimProblem, match="seeds=0"):
        check_int("seeds", 0, 2, error=ClaimProblem)


def test_an_empty_range_is_a_programming_error():
    with pytest.raises(ValueError, match="maximum=1 is below minimum=2"):
        check_int("seeds", 3, 2, 1)
