"""The cost landscape: directions, projection of trajectories, the objective on a slice."""

import numpy as np
import pytest

from helpers import problem_for
from red_core import denoisers, images, solvers
from red_core.theory import landscape
from red_core.theory import regulariser as red


@pytest.fixture(scope="module")
def problem():
    return problem_for(images.builtin("camera", 32), "gaussian_blur", 0.01)


def test_directions_are_orthonormal(problem):
    for mode in landscape.MODES:
        e1, e2 = landscape.directions(problem, mode, seed=3)
        assert np.vdot(e1, e1) == pytest.approx(1) and np.vdot(e2, e2) == pytest.approx(1)
        assert abs(np.vdot(e1, e2)) < 1e-12
    e1, _ = landscape.directions(problem, "truth")
    d = problem.truth - problem.x0
    assert np.allclose(e1, d / np.linalg.norm(d))


def test_projection_from_recorded_probes(problem):
    basis = landscape.directions(problem, "truth")
    D = denoisers.build("tv", 5 / 255)
    result = solvers.run("red-fp", problem, D, max_iter=6, tol=0, probes=basis)
    coords = landscape.project([h["probe"] for h in result.history], result.x, basis)
    assert coords.shape == (7, 2)
    assert np.allclose(coords[-1], 0.0, atol=1e-9)  # the slice passes through the final iterate
    # The start projects onto the start→truth axis at −‖truth − x0‖·(component of x* along it).
    expected0 = [np.vdot(problem.x0 - result.x, e) for e in basis]
    assert np.allclose(coords[0], expected0)


def test_landscape_values_match_the_objective(problem):
    basis = landscape.directions(problem, "random", seed=1)
    D = denoisers.build("gaussian", 0.05)
    center = problem.x0
    land = landscape.landscape(problem, D, 300.0, center, basis, half_width=2.0, n=5)
    x = center + land.a[1] * basis[0] + land.b[3] * basis[1]
    assert land.objective[3, 1] == pytest.approx(red.objective(problem, x, D(x), 300.0))
    step = -(problem.grad_data(x) + 300.0 * (x - D(x)))
    assert land.update_a[3, 1] == pytest.approx(np.vdot(step, basis[0]))
    with pytest.raises(ValueError, match="n must be"):
        landscape.landscape(problem, D, 1.0, center, basis, 1.0, n=1)
