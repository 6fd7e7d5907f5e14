"""The sweep engine (utacbook.sweep): seeds, results, stores, resume, Dask, bad input.

Everything runs on 127.0.0.1.  The Dask tests start a LocalCluster, or a
scheduler and workers as separate processes with the ``dask scheduler`` and
``dask worker`` commands, and kill processes with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from utacbook import sweep
from utacbook.sweep import _engine

SLEEPY = "utacbook.sweep.demo:sleepy"
GRID = {"x": [0.0, 0.5, 1.0], "replica": range(4)}
OUT = ["y", "trace", "task_seed", "task_done"]
BIN = Path(sys.executable).parent


def _same(a, b, names=OUT):
    xr.testing.assert_identical(a[names].drop_attrs(), b[names].drop_attrs())


@pytest.fixture(scope="module")
def reference():
    return sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, progress=False)


# ---------------------------------------------------------------- seeds and results

def test_dataset_layout(reference):
    ds = reference
    assert ds["y"].dims == ("x", "replica") and ds["trace"].dims == ("x", "replica", "trace_dim0")
    assert ds.sizes == {"x": 3, "replica": 4, "trace_dim0": 3}
    assert list(ds.x.values) == [0.0, 0.5, 1.0] and list(ds.replica.values) == [0, 1, 2, 3]
    assert bool(ds.task_done.all()) and np.all(ds.task_wall_time >= 0)
    ident = ds.attrs["utacbook_sweep"]
    assert ident["function"] == SLEEPY and ident["seed"] == 11 and ident["params"] == {"delay": 0.0}
    assert ident["runs"][-1]["tasks_run"] == 12 and ident["runs"][-1]["where"] == "in-process"


def test_each_task_gets_the_seed_of_its_coordinates(reference):
    from utacbook.sweep.demo import sleepy
    for i, x in enumerate(GRID["x"]):
        for r in GRID["replica"]:
            s = sweep.task_seed(11, {"x": x, "replica": r})
            assert reference.task_seed.values[i, r] == s
            direct = sleepy(x=x, delay=0.0, seed=s)          # the replica axis is not passed to func
            assert reference.y.values[i, r] == direct["y"]
            np.testing.assert_array_equal(reference.trace.values[i, r], direct["trace"])


def test_seeds_depend_on_values_not_positions():
    a = sweep.task_seeds(5, {"L": [16, 32, 64], "replica": range(3)})
    b = sweep.task_seeds(5, {"L": [64, 16], "replica": [2, 0]})
    assert a[2, 2] == b[0, 0] and a[0, 0] == b[1, 1]
    assert len(np.unique(a)) == a.size and np.all(a >= 0)
    assert sweep.task_seed(5, {"L": 16}) != sweep.task_seed(6, {"L": 16})
    assert sweep.task_seed(5, {"L": 16}) != sweep.task_seed(5, {"K": 16})
    assert sweep.task_seed(5, {"L": 1}) != sweep.task_seed(5, {"L": 1.0})


def test_growing_a_grid_keeps_the_old_tasks(reference):
    big = sweep.run(SLEEPY, {"x": [0.0, 0.25, 0.5, 1.0], "replica": range(6)}, params={"delay": 0.0}, seed=11,
                    progress=False)
    _same(reference, big.sel(x=[0.0, 0.5, 1.0], replica=range(4)), ["y", "trace", "task_seed"])


def test_integer_and_boolean_outputs_keep_their_type():
    ds = sweep.run("utacbook.sweep.demo:noisy_mean", {"mu": [0.0, 1.0]}, params={"n": 20}, progress=False)
    assert ds["n"].dtype == np.int64 and list(ds["n"].values) == [20, 20]
    assert ds["mean"].dtype == np.float64


# ---------------------------------------------------------------- stores and resume

def test_store_equals_memory_and_resumes_without_rerunning(tmp_path, reference):
    store = tmp_path / "s.zarr"
    a = sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, store=store, progress=False)
    _same(reference, a)
    finished = a.task_finished.values.copy()
    b = sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, store=str(store), progress=False)
    _same(reference, b)
    np.testing.assert_array_equal(b.task_finished.values, finished)   # nothing ran again
    assert len(b.attrs["utacbook_sweep"]["runs"]) == 1
    lazy = sweep.open_sweep(store)
    assert lazy.attrs["utacbook_sweep"]["function"] == SLEEPY and bool(lazy.task_done.all())


def test_failed_sweep_keeps_its_results_and_resumes(tmp_path):
    flag = tmp_path / "flag"
    flag.write_text("")
    store = tmp_path / "s.zarr"
    args = ("utacbook.sweep._testing:fail_if_flag", {"x": [0.0, 0.5, 1.0], "replica": range(4)})
    with pytest.raises(RuntimeError, match=r"task \(x=1\.0, replica=0\).*failed.*flag"):
        sweep.run(*args, params={"flag": str(flag)}, seed=11, store=store, progress=False)
    part = sweep.open_sweep(store)
    assert int(part.task_done.sum()) == 8                   # x = 0.0 and 0.5 were written before the failure
    assert bool(part.task_done.sel(x=[0.0, 0.5]).all())
    finished = part.task_finished.sel(x=[0.0, 0.5]).values.copy()
    flag.unlink()
    ds = sweep.run(*args, params={"flag": str(flag)}, seed=11, store=store, progress=False)
    assert bool(ds.task_done.all())
    np.testing.assert_array_equal(ds.task_finished.sel(x=[0.0, 0.5]).values, finished)
    ref = sweep.run(*args, params={"flag": str(flag)}, seed=11, progress=False)
    _same(ref, ds, ["y", "task_seed", "task_done"])
    assert [r["tasks_run"] for r in ds.attrs["utacbook_sweep"]["runs"]] == [8, 4]


def _store_files(path):
    return {p: p.stat().st_mtime_ns for p in Path(path).rglob("*") if p.is_file()}


@pytest.mark.parametrize("change", [
    dict(grid={"x": [0.0, 0.5], "replica": range(4)}),
    dict(grid={"x": [0.0, 0.5, 1.0], "rep": range(4)}),
    dict(seed=12),
    dict(params={"delay": 0.001}),
    dict(func="utacbook.sweep.demo:noisy_mean", params={}),
])
def test_store_of_another_sweep_is_refused_and_left_intact(tmp_path, change):
    store = tmp_path / "s.zarr"
    sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, store=store, progress=False)
    before = _store_files(store)
    kw = dict(func=SLEEPY, grid=GRID, params={"delay": 0.0}, seed=11)
    kw.update(change)
    with pytest.raises(sweep.SweepStoreError, match="another sweep.*left untouched"):
        sweep.run(kw.pop("func"), kw.pop("grid"), store=store, progress=False, **kw)
    assert _store_files(store) == before


def test_a_folder_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(sweep.SweepStoreError, match="not a utacbook sweep store"):
        sweep.run(SLEEPY, GRID, store=tmp_path, progress=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw, exc, match", [
    (dict(grid={}), ValueError, "grid is empty"),
    (dict(grid={"x": []}), ValueError, "grid axis 'x' is empty"),
    (dict(grid={"x": [[1, 2]]}), ValueError, "grid axis 'x' must be a 1-D"),
    (dict(grid={"x": "abc"}), ValueError, "grid axis 'x' must be a 1-D"),
    (dict(grid={"x": [1, 1]}), ValueError, "repeated values"),
    (dict(grid={"x": [1.0, float("nan")]}), ValueError, "finite"),
    (dict(grid={"x": [None]}), TypeError, "grid axis 'x' value"),
    (dict(grid={"seed": [1]}), ValueError, "reserved"),
    (dict(grid={"task_done": [1]}), ValueError, "reserved"),
    (dict(grid={"not an id": [1]}), ValueError, "identifiers"),
    (dict(grid=[("x", [1])]), TypeError, "grid must be a mapping"),
    (dict(grid={"x": [1], "delay": [0.0]}), ValueError, "also in params"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=1.5), ValueError, "seed"),
    (dict(params={"delay": object()}), TypeError, r"params\['delay'\]"),
    (dict(params={"seed": 3}), ValueError, "params key 'seed'"),
    (dict(dims={"trace": ("not id",)}), ValueError, r"dims\['trace'\]"),
    (dict(dims={"trace": ("a", "b")}), ValueError, r"dims\['trace'\].*2 dimensions"),
    (dict(client=42), TypeError, "client"),
    (dict(client="tcp://10.1.2.3:8786"), ValueError, "refusing.*10.1.2.3"),
    (dict(func=lambda x, seed: {"y": x}), TypeError, "importable"),
    (dict(func="utacbook.sweep.demo:nothing_here"), ValueError, "cannot be imported"),
    (dict(func="no_such_module_xyz:f"), ValueError, "cannot be imported"),
    (dict(func="utacbook.sweep.demo"), ValueError, "module:qualname"),
    (dict(func="utacbook.sweep._engine:FORMAT"), TypeError, "not a callable"),
    (dict(func=3), TypeError, "func"),
])
def test_bad_input(kw, exc, match):
    args = dict(func=SLEEPY, grid={"x": [0.0]}, params={"delay": 0.0})
    args.update(kw)
    with pytest.raises(exc, match=match):
        sweep.run(args.pop("func"), args.pop("grid"), progress=False, **args)


def test_function_defined_in_main_is_refused():
    def f(x, seed):
        return {"y": x}
    f.__module__ = "__main__"
    with pytest.raises(TypeError, match="importable by name"):
        sweep.run(f, {"x": [1]}, progress=False)


@pytest.mark.parametrize("mode, exc, match", [
    ("keys", ValueError, r"task \(x=2\).*same keys"),
    ("shape", ValueError, r"output 'a' of task \(x=2\) has shape \(4,\).*fixed shape"),
    ("type", TypeError, r"output 'a' of task \(x=2\).*numbers"),
    ("notdict", TypeError, r"task \(x=2\).*dict"),
    ("raise", RuntimeError, r"task \(x=2\).*failed.*boom"),
])
def test_inconsistent_task_outputs_are_refused(tmp_path, mode, exc, match):
    with pytest.raises(exc, match=match):
        sweep.run("utacbook.sweep._testing:inconsistent", {"x": [0, 1, 2, 3]}, params={"mode": mode},
                  store=tmp_path / "s.zarr", progress=False)
    # the tasks before the bad one are in the store
    assert int(sweep.open_sweep(tmp_path / "s.zarr").task_done.sum()) == 2


@pytest.mark.parametrize("address, ok", [
    ("tcp://127.0.0.1:8786", True), ("tcp://localhost:8786", True), ("tcp://[::1]:8786", True),
    ("127.0.0.1:8786", True), ("tcp://192.168.1.4:8786", False), ("tcp://example.org:8786", False),
    ("tls://example.org:8786", False),
])
def test_check_address(address, ok):
    if ok:
        assert sweep.check_address(address) == address
    else:
        with pytest.raises(ValueError, match="TLS|refusing"):
            sweep.check_address(address)
    assert sweep.check_address("tcp://192.168.1.4:8786", insecure=True)


def test_tls_address_with_certificates_is_accepted():
    class Sec:
        require_encryption = True
    assert sweep.check_address("tls://example.org:8786", security=Sec()) == "tls://example.org:8786"


def test_chunks_stay_small():
    assert _engine._chunks((7, 20, 16), ()) == (7, 20, 16)
    assert _engine._chunks((50, 40, 30), ()) == (3, 40, 30) or np.prod(_engine._chunks((50, 40, 30), ())) <= 4096
    ch = _engine._chunks((10, 100), (64,))
    assert ch[-1] == 64 and np.prod(ch) <= 4096


# ---------------------------------------------------------------- Dask

@pytest.fixture(scope="module")
def local_client():
    with sweep.local_client(2) as client:
        yield client


def test_closing_the_client_closes_its_cluster():
    client = sweep.local_client(1)
    cluster = client.cluster
    client.close()
    assert cluster.status.name == "closed"


def test_local_cluster_gives_the_same_dataset(local_client, reference, tmp_path):
    ds = sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, client=local_client, progress=False)
    _same(reference, ds)
    assert "2 workers" in ds.attrs["utacbook_sweep"]["runs"][-1]["where"]
    st = sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, client=local_client,
                   store=tmp_path / "s.zarr", progress=False)
    _same(reference, st)


def test_local_cluster_binds_to_loopback_and_runs_single_threaded(local_client):
    info = local_client.scheduler_info()
    assert local_client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert all(w["host"] == "127.0.0.1" and w["nthreads"] == 1 for w in info["workers"].values())
    threads = local_client.run(lambda: __import__("os").environ.get("NUMBA_NUM_THREADS"))
    assert set(threads.values()) == {"1"}


def test_task_error_on_the_cluster_names_the_task(local_client):
    with pytest.raises(RuntimeError, match=r"task \(x=[23]\).*boom"):   # x = 2 and 3 both raise; either may come first
        sweep.run("utacbook.sweep._testing:inconsistent", {"x": [0, 1, 2, 3]}, params={"mode": "raise"},
                  client=local_client, progress=False)


def _env():
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return env


def _wait_for(cond, timeout, what):
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _done(store):
    try:
        return int(sweep.open_sweep(store).task_done.sum())
    except Exception:  # noqa: BLE001 - store not yet created
        return 0


@pytest.fixture
def dask_processes(tmp_path):
    """A `dask scheduler` and two `dask worker` processes (no nanny) on 127.0.0.1."""
    sched_file = tmp_path / "scheduler.json"
    procs = []
    common = dict(env=_env(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                                   "--scheduler-file", str(sched_file)], **common))
    def scheduler_address():
        """The address in the scheduler file, or None while the file is missing or half written."""
        try:
            return json.loads(sched_file.read_text()).get("address")
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    # the scheduler creates the file before it has written it: wait for a complete one (seen under pytest-xdist)
    _wait_for(lambda: scheduler_address() is not None, 30, "the scheduler file")
    address = scheduler_address()
    for _ in range(2):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                                       "--host", "127.0.0.1", "--no-dashboard",
                                       "--dashboard-address", "127.0.0.1:0"], **common))
    from distributed import Client
    client = Client(address, timeout="30s")
    client.wait_for_workers(2, timeout=60)
    yield client, procs
    client.close()
    for p in procs:
        p.kill()
        p.wait()


def test_scheduler_and_workers_as_processes_give_the_same_dataset(dask_processes, reference):
    client, _ = dask_processes
    ds = sweep.run(SLEEPY, GRID, params={"delay": 0.0}, seed=11, client=client.scheduler.address,
                   progress=False)
    _same(reference, ds)


def test_a_worker_killed_mid_sweep_loses_nothing(dask_processes, tmp_path):
    client, procs = dask_processes
    grid = {"x": [float(i) for i in range(40)]}
    ref = sweep.run(SLEEPY, grid, params={"delay": 0.0}, seed=3, progress=False)
    store = tmp_path / "w.zarr"
    import threading
    box = {}
    th = threading.Thread(target=lambda: box.setdefault("ds", sweep.run(
        SLEEPY, grid, params={"delay": 0.1}, seed=3, store=store, client=client, progress=False)))
    th.start()
    _wait_for(lambda: _done(store) >= 4, 60, "the first tasks")
    procs[1].send_signal(signal.SIGKILL)                     # one worker dies mid-sweep
    th.join(120)
    assert not th.is_alive()
    ds = box["ds"]
    assert bool(ds.task_done.all())
    _same(ref, ds, ["y", "trace", "task_seed"])
    assert len(client.scheduler_info()["workers"]) == 1


def _cli(spec, *extra):
    return subprocess.Popen([sys.executable, "-m", "utacbook.sweep", str(spec), "--no-progress", *extra],
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_driver_killed_mid_sweep_resumes_to_the_same_dataset(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('function = "utacbook.sweep.demo:sleepy"\nseed = 4\nstore = "k.zarr"\n'
                    '[params]\ndelay = 0.05\n[grid]\nx = {linspace = [0.0, 1.0, 5]}\nreplica = {range = 12}\n')
    store = tmp_path / "k.zarr"
    p = _cli(spec, "--workers", "0")
    _wait_for(lambda: _done(store) >= 10, 60, "the first tasks")
    p.send_signal(signal.SIGKILL)
    p.wait()
    part = sweep.open_sweep(store)
    n_before = int(part.task_done.sum())
    finished_before = part.task_finished.values.copy()
    assert 10 <= n_before < 60
    p = _cli(spec, "--workers", "0")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["already_done"] == n_before and summary["run_now"] == 60 - n_before
    ds = sweep.open_sweep(store).load()
    done_before = ~np.isnan(finished_before)
    np.testing.assert_array_equal(ds.task_finished.values[done_before], finished_before[done_before])
    ref = sweep.run(SLEEPY, {"x": list(np.linspace(0.0, 1.0, 5)), "replica": range(12)},
                    params={"delay": 0.0}, seed=4, progress=False)
    _same(ref, ds, ["y", "trace", "task_seed", "task_done"])
    runs = ds.attrs["utacbook_sweep"]["runs"]
    assert len(runs) == 2 and "finished" not in runs[0]                  # the killed run is on record
    assert 0 < runs[0]["tasks_run"] <= n_before                          # with the tasks it had recorded


def test_cli_status_and_refusals(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('function = "utacbook.sweep.demo:noisy_mean"\nstore = "s.zarr"\n[grid]\nmu = [0.0, 1.0]\n')
    r = subprocess.run([sys.executable, "-m", "utacbook.sweep", str(spec), "--status"], env=_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "not started (0 of 2 tasks done)" in r.stdout
    r = subprocess.run([sys.executable, "-m", "utacbook.sweep", str(spec), "--scheduler", "tcp://10.9.8.7:8786"],
                       env=_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "refusing" in r.stderr and "--insecure" in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('function = "utacbook.sweep.demo:noisy_mean"\n[grid]\nmu = [0.0]\n')
    r = subprocess.run([sys.executable, "-m", "utacbook.sweep", str(bad)], env=_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "needs 'store'" in r.stderr
