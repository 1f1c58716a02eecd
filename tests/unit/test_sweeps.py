"""Sweeps (red_core.sweeps): the spec and its checks, cells equal to solvers.run, streaming,
cancellation, failures as rows, the cache, the table files and the command line.

One module-scoped local Dask cluster (2 single-threaded worker processes on 127.0.0.1) serves
every test; tiny images (32–48²) and few iterations keep each test quick.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from red_core import denoisers, images, operators, solvers, sweeps
from red_core.problem import make_problem
from red_core.sweeps import Cell, SpecError, SweepSpec
from red_core.sweeps.engine import _running

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ("psnr", "ssim", "best_psnr", "best_iter", "iterations", "status", "flag",
           "denoiser_calls", "lam", "beta", "step", "denoiser_sigma")


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client

    cluster = sweeps.local_cluster(2)
    client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _spec(**axes) -> dict:
    run = {"methods": axes.pop("methods", ["red-fp"]), "denoisers": ["tv"],
           "max_iter": axes.pop("max_iter", 8)}
    problem = {"images": axes.pop("images", ["camera"]), "size": axes.pop("size", 32),
               "degradations": axes.pop("degradations", ["gaussian_blur"]),
               "noise": axes.pop("noise", [0.01]), "seeds": axes.pop("seeds", [0])}
    return {"problem": problem, "run": run, "axes": axes}


def _direct(cell: Cell, **params) -> solvers.Result:
    """The issue's reference: solvers.run on Problem.synthesize(builtin, operators.build)."""
    truth = images.builtin(cell.image, size=cell.size)
    problem = solvers.Problem.synthesize(truth, operators.build(cell.degradation, truth.shape,
                                                                **dict(cell.degradation_params)),
                                         noise_sigma=cell.noise, seed=cell.seed)
    sigma = (cell.denoiser_sigma / 255 if cell.denoiser_sigma is not None else
             solvers.default_denoiser_sigma(problem, cell.method, cell.denoiser))
    return solvers.run(cell.method, problem, denoisers.build(cell.denoiser, sigma),
                       max_iter=cell.max_iter, **params), problem


def _assert_row_is(row, result, problem):
    from red_core import metrics

    assert row["status"] == result.status
    assert row["iterations"] == result.iterations
    assert row["psnr"] == pytest.approx(metrics.psnr(problem.truth, result.x), rel=1e-9)
    assert row["ssim"] == pytest.approx(metrics.ssim(problem.truth, result.x), rel=1e-9)
    assert row["best_psnr"] == pytest.approx(max(h["psnr"] for h in result.history), rel=1e-9)
    assert row["denoiser_calls"] == result.history[-1]["denoiser_calls"]
    assert row["psnr_curve"] == pytest.approx([h["psnr"] for h in result.history], rel=1e-9)


# --------------------------------------------------------------------------- the spec


ISSUE_SPEC = """
[problem]
images = ["camera", "astronaut"]      # images.builtin names (or paths of image files)
size = 128
degradations = ["gaussian_blur", "uniform_blur"]   # operators.build names, their defaults
noise = [0.01]                        # noise_sigma values
seeds = [0]
[run]
methods = ["red-fp", "pnp-admm"]
denoisers = ["tv"]
max_iter = 30
[axes]
lam_scale = [0.5, 1, 2]               # λ as a multiple of the method's default
denoiser_sigma = [3, 5, 10]           # σ_d in units of 1/255
"""


def test_the_issue_spec_parses_and_refuses_lam_scale_for_pnp():
    with pytest.raises(SpecError, match="λ exists only for the RED methods, not for pnp-admm"):
        SweepSpec.from_toml(ISSUE_SPEC)
    spec = SweepSpec.from_toml(ISSUE_SPEC.replace('"red-fp", "pnp-admm"', '"red-fp", "red-gd"'))
    assert spec.size == 2 * 2 * 2 * 3 * 3 == len(spec.cells())
    cells = spec.cells()
    assert len(set(cells)) == len(cells)
    assert {c.lam_scale for c in cells} == {0.5, 1.0, 2.0}
    assert {c.denoiser_sigma for c in cells} == {3.0, 5.0, 10.0}
    assert {(c.image, c.degradation, c.method) for c in cells} == {
        (i, d, m) for i in ("camera", "astronaut") for d in ("gaussian_blur", "uniform_blur")
        for m in ("red-fp", "red-gd")}
    assert all(c.max_iter == 30 and c.size == 128 for c in cells)
    assert SweepSpec.from_dict(spec.to_dict()).cells() == cells


def test_degradation_tables_scalars_and_default_axes():
    spec = SweepSpec.from_dict(_spec(degradations=[{"name": "super_resolution", "factor": 3},
                                                   "denoise"], noise=0.02, seeds=[1, 2]))
    cells = spec.cells()
    assert spec.size == 4 == len(cells)
    assert cells[0].degradation_params == (("factor", 3),)
    assert cells[-1].degradation_params == ()
    assert {c.noise for c in cells} == {0.02} and {c.seed for c in cells} == {1, 2}
    assert all(c.lam_scale == 1 and c.denoiser_sigma is None and c.sigma_scale == 1
               for c in cells)
    assert spec.axis("max_iter") == (8,) and spec.axis("lam_scale") is None


def test_cells_are_frozen_hashable_and_keyed_stably():
    a = Cell("camera", 32, "gaussian_blur", 0.01, 0, "red-fp", "tv", denoiser_sigma=5)
    b = Cell("camera", 32.0, "gaussian_blur", 0.01, 0, "red-fp", "tv", denoiser_sigma=5.0)
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert a.key != Cell("camera", 32, "gaussian_blur", 0.01, 1, "red-fp", "tv").key
    with pytest.raises(AttributeError):
        a.seed = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="not both"):
        Cell("camera", 32, "denoise", 0.01, 0, "red-fp", "tv", denoiser_sigma=5, sigma_scale=2)


@pytest.mark.parametrize(("change", "message"), [
    ({"images": ["nope"]}, "unknown image 'nope'"),
    ({"degradations": ["blurry"]}, "unknown degradation 'blurry'"),
    ({"methods": ["red-xx"]}, "unknown method 'red-xx'"),
    ({"images": []}, "problem.images is empty"),
    ({"methods": []}, "run.methods is empty"),
    ({"lam_scale": []}, "axes.lam_scale is empty"),
    ({"lam_scale": [0, 1]}, "axes.lam_scale takes finite numbers > 0"),
    ({"lam_scale": [2], "methods": ["red-fp", "pnp-hqs"]}, "λ exists only for the RED"),
    ({"beta_scale": [2]}, "red-fp has no beta"),
    ({"step_scale": [0.5], "methods": ["pnp-admm"]}, "pnp-admm has no step"),
    ({"denoiser_sigma": [3], "sigma_scale": [2]}, "exclusive"),
    ({"max_iter": [0]}, "takes whole numbers >= 1"),
    ({"size": 8}, "problem.size 8 is too small"),
    ({"degradations": [{"name": "gaussian_blur", "radius": 2}]}, "has no parameter 'radius'"),
    ({"degradations": [{"name": "super_resolution", "factor": 5}]}, "factor must be one of"),
    ({"noise": [-0.1]}, "problem.noise takes finite numbers >= 0"),
    ({"lam_scale": [1, 1]}, "repeats a value"),
])
def test_bad_specs_say_what_to_change_in_one_line(change, message):
    data = _spec(**change)
    with pytest.raises(SpecError, match=message) as info:
        SweepSpec.from_dict(data)
    assert "\n" not in str(info.value)


def test_bad_denoiser_unknown_keys_and_invalid_toml():
    data = _spec()
    data["run"]["denoisers"] = ["fancy"]
    with pytest.raises(SpecError, match="unknown denoiser 'fancy'"):
        SweepSpec.from_dict(data)
    data = _spec()
    data["run"]["tol"] = 1e-3
    with pytest.raises(SpecError, match="unknown key run.tol"):
        SweepSpec.from_dict(data)
    with pytest.raises(SpecError, match=r"unknown section \[solver\]"):
        SweepSpec.from_dict({**_spec(), "solver": {}})
    with pytest.raises(SpecError, match="not valid TOML"):
        SweepSpec.from_toml("[problem\nimages = 3")
    with pytest.raises(SpecError, match="cannot read the spec"):
        SweepSpec.from_toml("does/not/exist.toml")


# --------------------------------------------------------------------------- cells = solvers.run


def test_each_cell_equals_solvers_run_for_its_setting(dask_client):
    base = dict(image="camera", size=32, degradation="gaussian_blur", noise=0.01, seed=0,
                denoiser="tv", max_iter=12)
    cells = [
        Cell(method="red-fp", denoiser_sigma=5, **base),
        Cell(method="red-fp", lam_scale=2.0, denoiser_sigma=3, **base),
        Cell(method="pnp-admm", beta_scale=0.5, **base),
        Cell(method="red-gd", step_scale=0.5, sigma_scale=1.5, **base),
        Cell(method="pnp-hqs", **{**base, "degradation": "super_resolution",
                                  "degradation_params": (("factor", 2),)}),
    ]
    df = sweeps.run(cells, client=dask_client, cache=False)
    assert list(df["method"]) == [c.method for c in cells]  # rows in cell order
    rows = df.to_dict("records")

    result, problem = _direct(cells[0])
    _assert_row_is(rows[0], result, problem)

    lam = solvers.default_params("red-fp", problem)["lam"]
    result, problem = _direct(cells[1], lam=2 * lam)
    _assert_row_is(rows[1], result, problem)
    assert rows[1]["lam"] == pytest.approx(2 * lam)

    sigma = solvers.default_denoiser_sigma(problem, "pnp-admm", "tv")
    beta = solvers.default_params("pnp-admm", problem, denoisers.build("tv", sigma))["beta"]
    result, problem = _direct(cells[2], beta=0.5 * beta)
    _assert_row_is(rows[2], result, problem)
    assert rows[2]["denoiser_sigma"] == pytest.approx(sigma * 255)

    sigma = 1.5 * solvers.default_denoiser_sigma(problem, "red-gd", "tv")
    step = solvers.default_params("red-gd", problem)["step"]
    truth = images.builtin("camera", size=32)
    problem = make_problem(truth, "gaussian_blur", 0.01, 0)
    result = solvers.run("red-gd", problem, denoisers.build("tv", sigma), max_iter=12,
                         step=0.5 * step)
    _assert_row_is(rows[3], result, problem)
    assert rows[3]["sigma_scale"] == pytest.approx(1.5)

    problem = make_problem(truth, "super_resolution", 0.01, 0, factor=2)
    sigma = solvers.default_denoiser_sigma(problem, "pnp-hqs", "tv")
    result = solvers.run("pnp-hqs", problem, denoisers.build("tv", sigma), max_iter=12)
    _assert_row_is(rows[4], result, problem)
    assert json.loads(rows[4]["degradation_params"]) == {"factor": 2}


def test_run_cell_without_dask_is_the_same_row(dask_client):
    cell = Cell("coins", 40, "uniform_blur", 0.02, 3, "red-apg", "tv", max_iter=6)
    local = sweeps.run_cell(cell)
    remote = sweeps.run([cell], client=dask_client, cache=False).iloc[0]
    for column in RESULTS:
        if isinstance(local[column], str):
            assert remote[column] == local[column], column
        else:
            assert remote[column] == pytest.approx(local[column], rel=1e-9, nan_ok=True), column


def test_absent_axes_keep_their_columns_at_the_defaults(dask_client):
    spec = SweepSpec.from_dict(_spec(methods=["red-fp", "pnp-admm"], max_iter=4))
    df = sweeps.run(spec, client=dask_client, cache=False)
    assert set(sweeps.COLUMNS) <= set(df.columns)
    assert list(df.columns[:len(sweeps.COLUMNS)]) == list(sweeps.COLUMNS)
    problem = make_problem(images.builtin("camera", size=32), "gaussian_blur", 0.01, 0)
    for row in df.to_dict("records"):
        suggested = solvers.default_denoiser_sigma(problem, row["method"], "tv")
        assert row["lam_scale"] == 1.0 and row["sigma_scale"] == pytest.approx(1.0)
        assert row["denoiser_sigma"] == pytest.approx(suggested * 255)
        assert row["suggested_sigma"] == pytest.approx(suggested * 255)
        assert row["status"] == "max_iter" and row["flag"] in ("ok", "peaked", "stalled",
                                                                "oscillating")
        assert row["worker"].startswith("tcp://127.0.0.1:") and not row["cached"]
        # seconds: the algorithm's own time (the records' "time"), within the whole call's.
        assert 0 < row["seconds"] == row["time_curve"][-1] <= row["run_seconds"]
        assert row["seconds_to_99"] <= row["seconds"] and row["setup_seconds"] > 0


# --------------------------------------------------------------------------- failures, streaming


def test_a_failing_or_diverging_cell_is_a_row_not_an_exception(dask_client):
    base = dict(image="camera", size=32, degradation="gaussian_blur", noise=0.01, seed=0,
                denoiser="tv", max_iter=40)
    cells = [
        Cell(method="red-fp", **base),
        Cell(method="red-gd", step_scale=30.0, **base),   # far beyond the step bound
        Cell(method="pnp-admm", lam_scale=2.0, **base),   # PnP has no λ
        Cell(method="red-fp", **{**base, "image": "upload:missing"}),
    ]
    with pytest.raises(ValueError, match="upload:missing"):
        sweeps.submit(cells, client=dask_client)
    df = sweeps.run(cells[:3], client=dask_client, cache=False)
    assert list(df["status"]) == ["max_iter", "diverged", "error"]
    assert "Lower μ" in df["message"][1]
    assert "pnp-admm has no parameter lam" in df["message"][2]
    assert math.isnan(df["psnr"][2]) and df["psnr"][0] > 20


def test_rows_stream_once_per_cell_with_their_cell(dask_client):
    spec = SweepSpec.from_dict(_spec(denoiser_sigma=[2, 4, 6], max_iter=5, seeds=[11]))
    seen = []
    with sweeps.submit(spec, client=dask_client, cache=False) as sweep:
        for row in sweep.rows(timeout=120):
            seen.append(row["cell"])
            assert row["cell"].denoiser_sigma == row["denoiser_sigma"]
            assert sweep.progress[0] >= len(seen)
    assert sorted(seen, key=spec.cells().index) == spec.cells()
    assert sweep.done and sweep.progress == (3, 3)
    assert list(sweep.rows()) and len(list(sweep.rows())) == 3  # a second pass replays
    assert len(sweep.frame()) == 3 and "cell" not in sweep.frame().columns


def _wait(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout} s")
        time.sleep(0.05)


def test_cancel_drops_queued_cells_and_leaves_no_running_task(dask_client):
    # Each cell would run for minutes: RED-FP with TV does not converge on this problem.
    cells = [Cell("camera", 48, "gaussian_blur", 0.01, s, "red-fp", "tv", max_iter=10 ** 6)
             for s in range(6)]
    sweep = sweeps.submit(cells, client=dask_client, cache=False)
    _wait(lambda: sum(map(len, dask_client.run(_running, tag=sweep.tag).values())) == 2,
          what="two running cells")
    sweep.cancel()
    assert sweep.done and sweep.cancelled
    assert not any(dask_client.run(_running, tag=sweep.tag).values())
    assert not any(dask_client.processing().values())
    assert sweep.progress == (0, 6) and list(sweep.rows()) == []
    # The workers are free at once for the next sweep.
    df = sweeps.run([Cell("camera", 32, "denoise", 0.01, 0, "red-fp", "tv", max_iter=3)],
                    client=dask_client, cache=False)
    assert df["status"][0] == "max_iter"


def test_two_sweeps_at_once_both_make_progress(dask_client):
    long = [Cell("camera", 48, "gaussian_blur", 0.01, s, "red-fp", "tv", max_iter=80)
            for s in range(12)]
    short = [Cell("coins", 32, "gaussian_blur", 0.01, s, "red-fp", "tv", max_iter=80)
             for s in range(2)]
    first = sweeps.submit(long, client=dask_client, cache=False)
    second = sweeps.submit(short, client=dask_client, cache=False)
    try:
        assert second.wait(timeout=120)
        assert first.progress[0] < len(long), "the second sweep waited for the first's grid"
        assert first.wait(timeout=120) and first.progress == (12, 12)
    finally:
        first.cancel()
        second.cancel()


def test_cancelling_one_sweep_leaves_the_other_running(dask_client):
    endless = [Cell("camera", 48, "gaussian_blur", 0.01, s, "red-fp", "tv", max_iter=10 ** 6)
               for s in range(30, 34)]
    short = [Cell("coins", 32, "gaussian_blur", 0.01, s, "red-fp", "tv", max_iter=20)
             for s in range(4)]
    first = sweeps.submit(endless, client=dask_client, cache=False)
    second = sweeps.submit(short, client=dask_client, cache=False)
    try:
        _wait(lambda: any(dask_client.run(_running, tag=first.tag).values()),
              what="a running cell of the first sweep")
        first.cancel()
        assert second.wait(timeout=120) and not second.cancelled
        assert second.progress == (4, 4) and set(second.frame()["status"]) <= {"max_iter",
                                                                                "converged"}
        assert first.progress == (0, 4)
    finally:
        first.cancel()
        second.cancel()


def test_the_cache_answers_a_repeated_sweep_without_a_task(dask_client, tmp_path):
    spec = SweepSpec.from_dict(_spec(lam_scale=[0.5, 1, 2], seeds=[5], max_iter=6))
    first = sweeps.submit(spec, client=dask_client, cache_dir=tmp_path)
    assert first.wait(timeout=120) and first.submitted == 3 and first.from_cache == 0
    again = sweeps.submit(spec, client=dask_client, cache_dir=tmp_path)
    assert again.done and again.submitted == 0 and again.from_cache == 3
    assert again.frame()["cached"].all() and not first.frame()["cached"].any()
    columns = ["psnr", "ssim", "iterations", "status", "seconds", "key"]
    pd.testing.assert_frame_equal(first.frame()[columns], again.frame()[columns])
    # From disk, in a process that never saw them (the in-process rows forgotten).
    sweeps.row_cache.clear()
    from_disk = sweeps.submit(spec, client=None, cache_dir=tmp_path)
    assert from_disk.submitted == 0 and from_disk.from_cache == 3
    pd.testing.assert_frame_equal(first.frame()[columns], from_disk.frame()[columns])
    assert len(list(tmp_path.rglob("*.json"))) == 3
    # cache=False runs again.
    fresh = sweeps.submit(spec, client=dask_client, cache=False)
    assert fresh.submitted == 3 and fresh.wait(timeout=120)


def test_uploads_are_scattered_and_named_by_their_hash(dask_client):
    rng = np.random.default_rng(4)
    array = np.clip(images.builtin("moon", size=40) + 0.05 * rng.standard_normal((40, 40)), 0, 1)
    name = sweeps.upload_name(array)
    assert name == sweeps.upload_name(array.copy()) != sweeps.upload_name(array[::-1])
    spec = SweepSpec.from_dict(_spec(images=[name], max_iter=5))
    df = sweeps.run(spec, client=dask_client, images={name: array}, cache=False)
    problem = make_problem(array, "gaussian_blur", 0.01, 0)
    sigma = solvers.default_denoiser_sigma(problem, "red-fp", "tv")
    result = solvers.run("red-fp", problem, denoisers.build("tv", sigma), max_iter=5)
    _assert_row_is(df.iloc[0], result, problem)
    assert df["image"][0] == name


def test_image_files_are_read_by_the_client(dask_client, tmp_path):
    from PIL import Image

    (tmp_path / "pic.png").write_bytes(images.to_png_bytes(images.builtin("coins", size=60)))
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text('[problem]\nimages = ["pic.png"]\nsize = 48\n'
                         'degradations = ["denoise"]\nnoise = [0.02]\n'
                         '[run]\nmethods = ["red-fp"]\ndenoisers = ["tv"]\nmax_iter = 4\n')
    spec = SweepSpec.from_toml(spec_file)
    assert spec.images == (str((tmp_path / "pic.png").resolve()),)
    df = sweeps.run(spec, client=dask_client, cache=False)
    truth = images.load((tmp_path / "pic.png").read_bytes(), max_side=48).image
    assert Image.open(tmp_path / "pic.png").size == (60, 47) and truth.shape == (38, 48)
    problem = make_problem(truth, "denoise", 0.02, 0)
    sigma = solvers.default_denoiser_sigma(problem, "red-fp", "tv")
    _assert_row_is(df.iloc[0], solvers.run("red-fp", problem, denoisers.build("tv", sigma),
                                           max_iter=4), problem)


@pytest.mark.slow
def test_a_lost_worker_has_its_cells_run_again(dask_client):
    cells = [Cell("camera", 48, "gaussian_blur", 0.01, s, "red-fp", "tv", max_iter=400)
             for s in range(20, 24)]
    sweep = sweeps.submit(cells, client=dask_client, cache=False)
    _wait(lambda: any(dask_client.run(_running, tag=sweep.tag).values()), what="a running cell")
    busy = [w for w, keys in dask_client.run(_running, tag=sweep.tag).items() if keys]
    try:
        dask_client.run(os._exit, 1, workers=busy[:1])  # the worker process dies mid-cell
    except Exception:  # its connection closes under the call: expected
        pass
    assert sweep.wait(timeout=180)
    df = sweep.frame()
    assert len(df) == 4 and set(df["status"]) == {"max_iter"}
    _wait(lambda: len(dask_client.scheduler_info()["workers"]) == 2, what="the nanny's restart")


# --------------------------------------------------------------------------- where, client


def test_where_says_where_sweeps_run(dask_client, monkeypatch):
    monkeypatch.delenv(sweeps.SCHEDULER_ENV, raising=False)
    local = sweeps.where()
    assert local.kind == "local" and local.workers == (os.cpu_count() or 1)
    assert local.text.startswith(f"local cluster, {local.workers} worker")
    address = dask_client.scheduler.address
    monkeypatch.setenv(sweeps.SCHEDULER_ENV, address)
    assert sweeps.where().text == f"Dask scheduler {address}"
    # The shared client: one per address, also when many threads ask at once.
    found = []
    threads = [threading.Thread(target=lambda: found.append(sweeps.client())) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(found) == 4 and all(c is found[0] for c in found)
        place = sweeps.where()
        assert place.started and place.workers == 2 and place.text == \
            f"Dask scheduler {address}, 2 workers"
        assert place.dashboard is None  # bokeh is not installed: no dashboard, no link
    finally:
        sweeps.shutdown()
    assert dask_client.status == "running"  # the shared client closed, not the cluster


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_tables_round_trip_through_parquet_and_csv(dask_client, tmp_path, suffix):
    spec = SweepSpec.from_dict(_spec(denoiser_sigma=[3, 6], max_iter=4, seeds=[9]))
    df = sweeps.run(spec, client=dask_client)
    path = sweeps.save(df, tmp_path / f"out{suffix}")
    back = sweeps.load(path)
    assert list(back.columns) == list(df.columns)
    for column in ("image", "method", "status", "flag", "degradation_params", "key"):
        assert list(back[column]) == list(df[column]), column
    for column in ("psnr", "ssim", "denoiser_sigma", "lam_scale", "seconds", "iterations"):
        np.testing.assert_allclose(back[column].astype(float), df[column].astype(float),
                                   rtol=1e-12)
    assert [len(c) for c in back["psnr_curve"]] == [len(c) for c in df["psnr_curve"]] == [5, 5]
    np.testing.assert_allclose(np.concatenate(list(back["psnr_curve"])),
                               np.concatenate(list(df["psnr_curve"])), rtol=1e-12)
    with pytest.raises(ValueError, match="parquet or .csv"):
        sweeps.save(df, tmp_path / "out.xlsx")
    summary = sweeps.summary(df)
    assert summary["cells"].tolist() == [2]


# --------------------------------------------------------------------------- command line


def _cli(*args, env=None, timeout=240):
    full_env = {k: v for k, v in os.environ.items() if k != sweeps.SCHEDULER_ENV}
    full_env.update(PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "red_core.sweeps", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def _toml(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD = """[problem]
images = ["camera"]
size = 32
degradations = ["gaussian_blur"]
noise = [0.01]
[run]
methods = ["red-fp", "pnp-hqs"]
denoisers = ["tv"]
max_iter = 5
[axes]
denoiser_sigma = [4, 8]
"""


@pytest.mark.parametrize(("edit", "message"), [
    (("camera", "cameraman"), "unknown image 'cameraman'"),
    (("gaussian_blur", "gauss"), "unknown degradation 'gauss'"),
    (('"red-fp", ', '"red-fx", '), "unknown method 'red-fx'"),
    (('denoisers = ["tv"]', 'denoisers = ["tvx"]'), "unknown denoiser 'tvx'"),
    (("denoiser_sigma = [4, 8]", "denoiser_sigma = []"), "axes.denoiser_sigma is empty"),
    (("denoiser_sigma = [4, 8]", "lam_scale = [1, 2]"), "λ exists only for the RED methods"),
    (("noise = [0.01]", "noise = [0.01"), "not valid TOML"),
])
@pytest.mark.slow
def test_cli_bad_specs_give_one_error_line_and_exit_2(tmp_path, edit, message):
    spec = _toml(tmp_path, GOOD.replace(*edit))
    out = _cli(spec, "--out", str(tmp_path / "r.parquet"))
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not (tmp_path / "r.parquet").exists()


@pytest.mark.slow
def test_cli_refuses_a_huge_grid_without_yes_and_a_bad_out(tmp_path):
    sigmas = ", ".join(str(i) for i in range(1, 101))
    iters = ", ".join(str(i) for i in range(1, 52))
    huge = GOOD.replace("max_iter = 5\n", "").replace(
        "denoiser_sigma = [4, 8]", f"denoiser_sigma = [{sigmas}]\nmax_iter = [{iters}]")
    out = _cli(_toml(tmp_path, huge), "--out", str(tmp_path / "r.parquet"))
    assert out.returncode == 2
    assert out.stderr.strip() == ("error: the grid has 10,200 cells, more than 10,000: add --yes "
                                  "to run it anyway")
    out = _cli(_toml(tmp_path, GOOD), "--out", str(tmp_path / "r.xlsx"))
    assert out.returncode == 2 and "parquet or .csv" in out.stderr
    out = _cli(str(tmp_path / "missing.toml"), "--out", str(tmp_path / "r.csv"))
    assert out.returncode == 2 and "cannot read the spec" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_cli_yes_lets_a_huge_grid_run(tmp_path, monkeypatch, capsys):
    from red_core.sweeps import __main__ as cli

    sizes = []

    def fake_run(spec, **kwargs):  # the grid itself is not run: only the gate is tested
        sizes.append(spec.size)
        return sweeps.frame([])

    monkeypatch.setattr(sweeps, "run", fake_run)
    monkeypatch.setenv(sweeps.SCHEDULER_ENV, "tcp://127.0.0.1:1")
    sigmas = ", ".join(str(i) for i in range(1, 101))
    huge = GOOD.replace("denoiser_sigma = [4, 8]", f"denoiser_sigma = [{sigmas}]").replace(
        "noise = [0.01]", f"noise = [0.01]\nseeds = {list(range(60))}")
    spec = _toml(tmp_path, huge)
    assert cli.main([spec, "--out", str(tmp_path / "r.csv"), "--quiet"]) == 2
    assert "12,000 cells" in capsys.readouterr().err and sizes == []
    assert cli.main([spec, "--out", str(tmp_path / "r.csv"), "--quiet", "--yes"]) == 0
    assert sizes == [12_000] and (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.slow
def test_cli_runs_on_a_scheduler_and_writes_the_table(dask_client, tmp_path, suffix):
    address = dask_client.scheduler.address
    out_file = tmp_path / f"results{suffix}"
    args = [_toml(tmp_path, GOOD), "--out", str(out_file)]
    # The address by option for parquet, by the environment variable for CSV.
    if suffix == ".parquet":
        out = _cli(*args, "--scheduler", address)
    else:
        out = _cli(*args, env={sweeps.SCHEDULER_ENV: address})
    assert out.returncode == 0, out.stderr
    assert f"4 cells on Dask scheduler {address}" in out.stderr
    assert "4/4 cells" in out.stderr
    assert "red-fp" in out.stdout and "pnp-hqs" in out.stdout and "best psnr" in out.stdout
    df = sweeps.load(out_file)
    assert len(df) == 4 and set(df["status"]) == {"max_iter"}
    expected = sweeps.run(SweepSpec.from_toml(GOOD), client=dask_client, cache=False)
    np.testing.assert_allclose(df["psnr"], expected["psnr"], rtol=1e-9)


@pytest.mark.slow
def test_cli_starts_and_stops_its_own_local_cluster(tmp_path):
    out = _cli(_toml(tmp_path, GOOD), "--out", str(tmp_path / "r.parquet"))
    assert out.returncode == 0, out.stderr
    assert f"4 cells on local cluster, {os.cpu_count()} worker" in out.stderr
    assert "Traceback" not in out.stderr and "leaked" not in out.stderr, out.stderr
    assert len(sweeps.load(tmp_path / "r.parquet")) == 4
