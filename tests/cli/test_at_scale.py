"""The README's Dask recipe (## At scale), run as written: the lines of
`digitpad predict --json FOLDER`, in order, with one model load per worker process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.core.io.drawing import Drawing

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("dask.distributed")
cloudpickle = pytest.importorskip("cloudpickle")  # dependencies of distributed
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 180  # seconds for any one step: a hang fails the test instead of stalling it
TIMEOUTS = {
    "distributed.comm.timeouts.connect": "20s",
    "distributed.comm.timeouts.tcp": "60s",
    "distributed.scheduler.allowed-failures": 0,  # a worker that dies fails the run
}


def readme_recipe() -> str:
    """The Python block of the README's "At scale" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## At scale\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S)
    assert len(blocks) == 1, "the section holds one Python block: the recipe"
    return blocks[0]


def _inputs(folder: Path, mnist_test) -> None:
    """40 inputs: MNIST digits on larger paper, two-digit numbers, a drawing, a
    sub-folder, and one corrupt file (its error line keeps its place)."""
    digits, _ = mnist_test
    rng = np.random.default_rng(7)
    (folder / "more").mkdir(parents=True)
    for k in range(30):
        height, width = rng.integers(40, 120, size=2)
        paper = np.full((height, width), 255, np.uint8)
        y, x = rng.integers(0, height - 27), rng.integers(0, width - 27)
        paper[y : y + 28, x : x + 28] = 255 - digits[k]
        where = folder / "more" if k % 5 == 0 else folder
        Image.fromarray(paper).save(where / f"digit-{k:02d}.png")
    for k in range(7):
        paper = np.full((60, 110), 255, np.uint8)
        paper[16:44, 14:42] = 255 - digits[100 + 2 * k]
        paper[16:44, 62:90] = 255 - digits[101 + 2 * k]
        Image.fromarray(paper).convert("RGB").save(folder / f"number-{k}.png")
    one = [[[140, 40], [140, 240]]]  # a "1", as the canvas records it
    Drawing.from_points(one).save(folder / "drawn-one.json")
    (folder / "scan-9.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (folder / "notes.txt").write_text("not an input")  # skipped, as predict skips it


def _count_loads_and_reads() -> None:
    """In a worker process: count Recognizer.load and the files read from now on."""
    from digitpad.core import api
    from digitpad.core.models import ensemble

    counts = {"loads": 0, "reads": 0}
    load = ensemble.Recognizer.load.__func__
    read = api.recognize_path

    def counted_load(cls, path=None):
        counts["loads"] += 1
        return load(cls, path)

    def counted_read(*args, **kwargs):
        counts["reads"] += 1
        return read(*args, **kwargs)

    ensemble.Recognizer.load = classmethod(counted_load)
    api.recognize_path = counted_read
    api.counts_in_test = counts


def _counts() -> dict:
    from digitpad.core import api

    return dict(api.counts_in_test, pid=os.getpid())


def _predict_json(folder: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", "--json", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the corrupt file
    return done.stdout.splitlines()


def test_the_readme_recipe_gives_predicts_lines_with_one_model_per_worker(tmp_path, mnist_test):
    folder, out = tmp_path / "scans", tmp_path / "answers"
    _inputs(folder, mnist_test)
    script = tmp_path / "at_scale.py"
    script.write_text(readme_recipe(), encoding="utf-8")
    expected = _predict_json(folder)
    assert len(expected) == 39 and '"error"' in expected[-1]

    started = time.monotonic()
    with (
        dask.config.set(TIMEOUTS),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            death_timeout=60,  # a worker that cannot start, or has lost the scheduler, ends
        ) as cluster,
        distributed.Client(cluster, timeout=TIMEOUT) as client,
    ):
        start_s = time.monotonic() - started
        workers = client.scheduler_info()["workers"]
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert len(workers) == 2
        for address, info in workers.items():  # nothing listens beyond this machine
            assert address.startswith("tcp://127.0.0.1:")
            assert info["nanny"].startswith("tcp://127.0.0.1:")
        cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers can't import it
        try:
            client.run(_count_loads_and_reads)
            # The README's script as a user runs it; 4 images per task spreads the 39
            # inputs over both workers.
            subprocess.run(
                [sys.executable, str(script), cluster.scheduler_address, folder, out, "4"],
                cwd=tmp_path,
                timeout=TIMEOUT,
                check=True,
            )
            counts = client.run(_counts)
        finally:
            cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    pids = [c["pid"] for c in counts.values()]

    parts = sorted(out.iterdir())  # 000000.jsonl ... 000009.jsonl: one per task, in order
    assert len(parts) == 10
    assert [line for p in parts for line in p.read_text(encoding="utf-8").splitlines()] == expected

    # Each worker read its share and loaded the bundled model once for all of it.
    assert sorted(c["loads"] for c in counts.values()) == [1, 1], counts
    assert all(c["reads"] > 0 for c in counts.values()), counts
    assert sum(c["reads"] for c in counts.values()) == 39, counts

    # Shut down cleanly: the worker processes are gone with the cluster.
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(psutil.pid_exists(p) for p in pids)
    assert start_s < TIMEOUT
