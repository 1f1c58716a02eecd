"""Sweeps on an external Dask cluster: a real ``dask scheduler`` and two ``dask worker``
processes started with the command lines of ``distributed``, as on a multi-machine cluster
(docs/SCALING.md), here all on 127.0.0.1.

The scheduler listens on a free loopback port; each worker has one thread, one BLAS thread, the
malloc settings of ``sweeps.WORKER_ENV`` and ``red_core`` importable only through
``PYTHONPATH`` (its working folder is a temporary one, as on a machine without the checkout as
cwd). A small sweep runs against the address given as an argument, through the environment
variable ``RED_LAB_DASK_SCHEDULER`` (the command line), and with an uploaded array; its rows
must equal those of the local cluster. Every process started
here is stopped at the end, also when a test fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from browser_utils import REPO_ROOT, free_port
from red_core import images, sweeps
from red_core.sweeps import SweepSpec

#: Starts a real scheduler and two workers (~15 s): out of make test-fast.
pytestmark = pytest.mark.slow

RESULTS = ["psnr", "ssim", "best_psnr", "best_iter", "iterations", "denoiser_calls",
           "denoiser_sigma", "lam", "beta"]
SPEC = """
[problem]
images = ["camera", "UPLOAD"]
size = 40
degradations = ["gaussian_blur", {name = "super_resolution", factor = 2}]
noise = [0.01]
[run]
methods = ["red-fp", "pnp-admm"]
denoisers = ["tv"]
max_iter = 6
[axes]
denoiser_sigma = [4, 8]
"""


def _upload() -> np.ndarray:
    return np.clip(images.builtin("moon", size=40) * 0.9 + 0.05, 0, 1)


def _spec_text() -> str:
    return SPEC.replace("UPLOAD", sweeps.upload_name(_upload()))


def _wait_port(port: int, procs: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a Dask process exited while starting")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the scheduler did not listen on port {port} within {timeout} s")


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process group started here (a worker's nanny and its child), then SIGKILL
    what is left after 20 s."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}"
                     for f in sorted(folder.glob("*.log")))


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory) -> Iterator[str]:
    """``tcp://127.0.0.1:<port>`` of a running scheduler with two single-threaded workers."""
    folder = tmp_path_factory.mktemp("dask-cluster")
    env = {k: v for k, v in os.environ.items() if k != sweeps.SCHEDULER_ENV}
    # What docs/SCALING.md asks of a worker machine: BLAS and malloc settings, no profiler.
    env.update(sweeps.WORKER_ENV, PYTHONPATH=str(REPO_ROOT),
               DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False",
               DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL="1s",
               DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL="2s",
               DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL="1s")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    loopback = "127.0.0.1:0"  # every HTTP server on loopback too, on a free port
    commands = [
        ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
         "--dashboard-address", loopback],
        *(["worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
           "--no-dashboard", "--dashboard-address", loopback, "--name", f"worker-{i}",
           "--local-directory", str(folder / f"worker-{i}")] for i in range(2)),
    ]
    procs: list[subprocess.Popen] = []
    try:
        for i, command in enumerate(commands):
            with open(folder / f"{i}-{command[0]}.log", "w") as log:  # the child keeps its fd
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "dask", *command], cwd=folder, env=env, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True))
            if i == 0:
                _wait_port(port, procs)
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as probe:
            probe.wait_for_workers(2, timeout=120)
        yield address
    except Exception as err:
        pytest.fail(f"{err}\n{_logs(folder)}", pytrace=False)
    finally:
        sweeps.shutdown()  # the shared client of this process connected to it
        _stop(procs)
    assert all(p.returncode is not None for p in procs)


@pytest.fixture(scope="module")
def local_rows():
    """The same sweep on a local cluster (the default kind)."""
    from distributed import Client

    cluster = sweeps.local_cluster(2)
    try:
        with Client(cluster, set_as_default=False) as client:
            return sweeps.run(SweepSpec.from_toml(_spec_text()), client=client,
                              images={sweeps.upload_name(_upload()): _upload()}, cache=False)
    finally:
        cluster.close()


def _assert_same(df, local):
    assert list(df["key"]) == list(local["key"])
    assert list(df["status"]) == list(local["status"])
    for column in RESULTS:
        np.testing.assert_allclose(df[column].astype(float), local[column].astype(float),
                                   rtol=1e-9, equal_nan=True, err_msg=column)


def test_a_sweep_on_the_scheduler_address_equals_the_local_one(scheduler_address, local_rows):
    spec = SweepSpec.from_toml(_spec_text())
    assert spec.size == 16
    upload = {sweeps.upload_name(_upload()): _upload()}
    df = sweeps.run(spec, scheduler=scheduler_address, images=upload, cache=False)
    _assert_same(df, local_rows)
    assert set(df["status"]) == {"max_iter"}
    settings = sweeps.client(scheduler_address).run(
        lambda: {k: os.environ.get(k) for k in sweeps.WORKER_ENV})
    assert all(found == sweeps.WORKER_ENV for found in settings.values()), settings
    import dask

    quiet = sweeps.client(scheduler_address).run(
        lambda: {k: dask.config.get(k) for k in sweeps.QUIET_CONFIG})
    assert all(found == sweeps.QUIET_CONFIG for found in quiet.values()), quiet
    place = sweeps.where(scheduler_address)
    assert place.text == f"Dask scheduler {scheduler_address}, 2 workers"
    workers = set(sweeps.client(scheduler_address).scheduler_info()["workers"])
    assert set(df["worker"]) <= workers and len(set(df["worker"])) == 2  # both worked


def test_the_environment_variable_sends_the_command_line_there(scheduler_address, local_rows,
                                                              tmp_path):
    # The command line has no uploads: the spec without the uploaded image.
    text = _spec_text().replace(f', "{sweeps.upload_name(_upload())}"', "")
    (tmp_path / "spec.toml").write_text(text)
    env = {**os.environ, sweeps.SCHEDULER_ENV: scheduler_address,
           "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-m", "red_core.sweeps", str(tmp_path / "spec.toml"),
                          "--out", str(tmp_path / "r.parquet")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"8 cells on Dask scheduler {scheduler_address}" in out.stderr
    df = sweeps.load(tmp_path / "r.parquet")
    _assert_same(df, local_rows[local_rows["image"] == "camera"].reset_index(drop=True))
