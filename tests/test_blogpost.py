"""The blog post's network (repro.report.blogpost): the correct batch-norm backward, the post's published
one, and the facts about the post's figures that the report's opening figure states."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from repro.report import blogpost as bp

SEEDS = range(12)


def layer1_relu(seed: int, rows: int = 1000) -> np.ndarray:
    """The input of the post's first normalization: layer 1's ReLU output, (rows, 100)."""
    x, ws, _ = bp.sample(seed)
    return np.maximum(x[:rows] @ ws[0].T, 0.0)


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """(1000, 100) matmuls: on a busy machine more BLAS threads only contend."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def fd_case():
    a = layer1_relu(0)
    dy = np.random.default_rng(0).standard_normal(a.shape)
    return a, dy, bp.norm_forward(a)[1], bp.numerical_dx(a, dy)


def test_bn_backward_matches_finite_differences(fd_case):
    a, dy, cache, num = fd_case
    assert a.dtype == np.float64
    assert rel_error(bp.bn_backward(dy, cache), num) < 1e-6


def test_published_bn_backward_is_off_by_about_a_fifth(fd_case, record_property):
    a, dy, cache, num = fd_case
    err = rel_error(bp.bn_backward_as_published(dy, cache), num)
    record_property("published_fd_rel_error", err)
    print(f"published BN backward vs central differences: |dx - num| / |num| = {err:.3f}")
    assert 0.10 < err < 0.35  # about (2 + 1/N) / sqrt(N - 2) = 0.20 at N = 100 for a random dy


def test_published_formula_is_the_closed_form_in_its_docstring(fd_case):
    """The transcription equals (dy - mean(dy) + (1 + 1/N) xhat mean(dy xhat)) / std: the xhat
    component the normalization removes is added back instead."""
    _, dy, cache, _ = fd_case
    xc, std = cache
    xhat, n = xc / std, xc.shape[1]
    expected = (dy - dy.mean(axis=1, keepdims=True)
                + (1 + 1 / n) * xhat * np.mean(dy * xhat, axis=1, keepdims=True)) / std
    np.testing.assert_allclose(bp.bn_backward_as_published(dy, cache), expected, rtol=1e-10, atol=0)


@pytest.fixture(scope="module")
def study():
    return bp.study(SEEDS)


def test_activation_gradient_grows_much_faster_with_the_published_formula(study):
    """RMS of dL/dh per layer going down: about 1.22x (correct) against about 1.85x (published)."""
    correct, published = study["growth"]["correct"], study["growth"]["published"]
    print(f"growth per layer of RMS dL/dh over 12 seeds: correct {correct.min():.3f}-{correct.max():.3f}, "
          f"published {published.min():.3f}-{published.max():.3f}")
    assert 1.15 < correct.min() and correct.max() < 1.30
    assert 1.75 < published.min() and published.max() < 1.95
    assert published.min() - correct.max() > 0.4


def test_the_posts_layer_3_panel_carries_the_published_formula(study):
    """The post's "layer 3" panel is layer 18's dL/dW (var 27.35): inside the published formula's
    12-seed range, above every correct one."""
    i = study["layers"].index(18)
    correct, published = study["var"]["correct"][:, i], study["var"]["published"][:, i]
    print(f"var dL/dW layer 18 over 12 seeds: correct {correct.min():.1f}-{correct.max():.1f}, "
          f"published {published.min():.1f}-{published.max():.1f}")
    assert published.min() < bp.POST_PANELS[18] < published.max()
    assert bp.POST_PANELS[18] > correct.max()


def test_study_panels_are_the_posts_layers(study):
    assert set(study["panels"]["published"]) == {19, 18}
    np.testing.assert_array_equal(study["panels"]["correct"][18], bp.gradients(0)[1][18])
    assert study["fd_error"]["correct"] < 1e-6 < 0.1 < study["fd_error"]["published"]


def test_gradient_enters_layer_19_and_the_titles_count_from_the_top():
    dhs, dws = bp.gradients(0)
    assert sorted(dws) == list(range(1, 20))  # layer 20's weights get no gradient
    assert max(dhs) == 19 and min(dhs) == 0
    assert [bp.post_title(k) for k in (19, 18, 1)] == [2, 3, 20]


def test_forward_matches_the_posts_numbers():
    """Post-ReLU std about 0.0585 at layer 1 with the normalization; about 22 decades of collapse
    from layer 1 to layer 20 without it."""
    std1, decades = [], []
    for s in SEEDS:
        x, ws, _ = bp.sample(s)
        std1.append(np.std(layer1_relu(s)))
        plain, _ = bp.forward(x, ws, norm=False)
        decades.append(np.log10(np.std(plain[1]) / np.std(plain[20])))
    assert abs(np.mean(std1) - 0.0585) < 0.001
    assert 21 < np.mean(decades) < 23
