"""Numba's thread count is capped at the CPUs the process can use (utacbook._threads)."""

import os
import subprocess
import sys

import pytest

from utacbook import _threads


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("text, expected", [("200000 100000\n", 2.0), ("150000 100000", 1.5),
                                            ("max 100000\n", None), ("garbage", None)])
def test_cgroup_v2_quota(tmp_path, text, expected):
    _write(tmp_path / "cpu.max", text)
    assert _threads._cgroup_cpu_limit(str(tmp_path)) == expected


@pytest.mark.parametrize("quota, period, expected", [("400000", "100000", 4.0), ("-1", "100000", None)])
def test_cgroup_v1_quota(tmp_path, quota, period, expected):
    _write(tmp_path / "cpu" / "cpu.cfs_quota_us", quota)
    _write(tmp_path / "cpu" / "cpu.cfs_period_us", period)
    assert _threads._cgroup_cpu_limit(str(tmp_path)) == expected


def test_no_cgroup_files(tmp_path):
    assert _threads._cgroup_cpu_limit(str(tmp_path)) is None


def test_usable_cpus_is_capped_by_quota_and_affinity(tmp_path):
    affinity = len(os.sched_getaffinity(0))
    assert _threads.usable_cpus(cgroup_root=str(tmp_path)) == affinity
    _write(tmp_path / "cpu.max", "50000 100000")           # half a CPU: still one thread
    assert _threads.usable_cpus(cgroup_root=str(tmp_path)) == 1
    _write(tmp_path / "cpu.max", "150000 100000")          # 1.5 CPUs: two threads at most
    assert _threads.usable_cpus(cgroup_root=str(tmp_path)) == min(2, affinity)
    _write(tmp_path / "cpu.max", "6400000 100000")         # a quota above the mask: the mask
    assert _threads.usable_cpus(cgroup_root=str(tmp_path)) == affinity


def _numba_threads_after_import(env, affinity=None):
    code = "import utacbook, numba; print(numba.get_num_threads(), numba.config.NUMBA_NUM_THREADS)"
    cmd = [sys.executable, "-c", code]
    if affinity is not None:
        cmd = ["taskset", "-c", affinity] + cmd
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in out.split())


def _env(**kw):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    env.update(kw)
    return env


@pytest.mark.skipif(not os.path.exists("/usr/bin/taskset"), reason="needs taskset")
def test_import_caps_threads_at_the_affinity_mask():
    # one usable CPU on a host that reports more: one thread, not os.cpu_count()
    assert _numba_threads_after_import(_env(), affinity="0") == (1, 1)


def test_user_setting_wins():
    assert _numba_threads_after_import(_env(NUMBA_NUM_THREADS="1")) == (1, 1)
    n = _threads.usable_cpus()
    got, _ = _numba_threads_after_import(_env())
    assert got == n
