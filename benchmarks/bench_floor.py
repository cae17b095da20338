"""How close ``xltools normalize`` comes to the floor: a bare python-calamine read of every cell.

One command, one run, side by side (issue 19)::

    python benchmarks/bench_floor.py              # 1,000 plain + 10,000 official-look, 3 rounds
    python benchmarks/bench_floor.py --files 500  # smaller: 500 of each
    python benchmarks/bench_floor.py --rounds 1 --no-cache-check

Prints, each the median of ``--rounds`` rounds (the machine is shared, so absolute times are
noisy; each round measures the floor and xltools on the same files one right after the other,
and the ratio is taken within a round):

* **ratio to the floor** for ``--plain`` plain returned checklists (``synth.random_spec``, the
  messy re-typed layouts) and ``--files`` official-look copies (``official_look=True``, the
  方眼紙 file filled in). Floor: python-calamine ``to_python()`` of every sheet of every file,
  in one process, timed inside it. xltools: ``xltools normalize DIR --out TMP --jobs 2
  --no-store -q`` as a subprocess, wall time from launch to exit (start-up, listing, hashing,
  parsing, the three frames, CSV + Parquet written: everything a user waits for), and the CPU
  time of all its processes (main, fork server, workers; Linux), steadier than wall time on a
  shared machine: on two cores, wall time cannot fall below half of it;
* **start-up**: ``xltools normalize`` on one file (wall), ``xltools --help`` (wall), the time from
  launch to the first open of an input file (an audit hook), and ``python -X importtime``'s
  heaviest imports before that first read;
* **peak memory**: the largest single process (``getrusage(RUSAGE_CHILDREN).ru_maxrss``, workers
  included) and the sampled sum of the whole process tree (main + workers, /proc).

The corpora are generated once into ``benchmarks/.cache/plain-v1`` and
``benchmarks/.cache/official-v1`` (the latter shared with ``bench_read.py``; gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_read import OFFICIAL_CACHE, _descendants, corpus  # noqa: E402

PLAIN_CACHE = HERE / ".cache" / "plain-v1"
GOALS = {"plain": 4.0, "official": 3.0}
GOAL_STARTUP, GOAL_MEMORY_MB = 0.3, 1024

_FLOOR = """
import sys, time, json
import python_calamine as pc
files = json.load(open(sys.argv[1]))
t = time.perf_counter()
for f in files:
    wb = pc.CalamineWorkbook.from_path(f)
    for i in range(len(wb.sheet_names)):
        wb.get_sheet_by_index(i).to_python()
print(time.perf_counter() - t)
"""

# installed as ``sitecustomize`` in every Python process the xltools command starts (itself,
# its fork server, the workers forked from that): the first of them to open an input file
# notes the wall time. Without a store, the workers read the files, not the command itself.
_FIRST_READ_SITE = """
import os, sys, time
_marker = os.environ.get("BENCH_FIRST_READ_MARKER")
_folder = os.path.realpath(os.environ.get("BENCH_FIRST_READ_FOLDER", "")) if _marker else ""

def _first_read(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].endswith(".xlsx") \\
            and os.path.realpath(os.path.dirname(os.path.abspath(args[0]))) == _folder:
        try:  # the first process to get here wins; every later open is ignored
            fd = os.open(_marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except OSError:
            return
        os.write(fd, repr(time.time()).encode())
        os.close(fd)

if _marker:
    sys.addaudithook(_first_read)
"""
_RUN = "import sys\nsys.argv = ['xltools', *sys.argv[1:]]\nfrom xltools.cli import main\nmain()"


def folder_of(files: list[str]) -> Path:
    """A folder holding exactly these files (the cache may hold more)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-floor-in-"))
    for f in files:
        os.symlink(f, folder / Path(f).name)
    return folder


def floor(files: list[str]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(files, fh)
    out = subprocess.run([sys.executable, "-c", _FLOOR, fh.name], check=True,
                         capture_output=True, text=True)
    os.unlink(fh.name)
    return float(out.stdout.split()[0])


class TreePeak(threading.Thread):
    """The largest sampled sum of RSS over this process's descendants (main + workers)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb, self.stop = 0.0, threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.25):
            total = 0
            for pid in _descendants(me):
                try:
                    with open(f"/proc/{pid}/statm") as fh:
                        total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
                except (OSError, ValueError, IndexError):
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)


def xltools_cli(args: list[str]) -> dict[str, float]:
    """One ``xltools`` command in a fresh measuring process (so ru_maxrss is its own)."""
    out = subprocess.run([sys.executable, __file__, "--one", json.dumps(args)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _adopt_orphans() -> bool:
    """Become the reaper of every descendant (Linux): the fork server's workers are reparented
    here when it exits, so their CPU time lands in this process's RUSAGE_CHILDREN."""
    try:
        import ctypes

        return ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _one(args: list[str]) -> dict[str, float]:
    adopted = _adopt_orphans()
    watcher = TreePeak()
    if os.path.isdir("/proc"):
        watcher.start()
    site = Path(tempfile.mkdtemp(prefix="bench-first-read-"))
    (site / "sitecustomize.py").write_text(_FIRST_READ_SITE)
    marker = site / "first-read"
    folder = args[1] if len(args) > 1 else "."
    folder = folder if os.path.isdir(folder) else os.path.dirname(os.path.abspath(folder))
    env = {**os.environ, "BENCH_FIRST_READ_MARKER": str(marker),
           "BENCH_FIRST_READ_FOLDER": folder,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    t = time.time()
    proc = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True,
                          env=env)
    wall = time.time() - t
    watcher.stop.set()
    first = float(marker.read_text()) - t if marker.exists() else float("nan")
    shutil.rmtree(site, ignore_errors=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"xltools {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    _reap()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "first_read": first,
            "cpu": usage.ru_utime + usage.ru_stime if adopted else float("nan"),
            "max_process_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "tree_mb": watcher.peak_mb}


def normalize(folder: Path, jobs: int = 2) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="bench-floor-out-"))
    try:
        return xltools_cli(["normalize", str(folder), "--out", str(out), "--jobs", str(jobs),
                            "--no-store", "-q"])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def heaviest_imports(one_file: str, top: int = 8) -> tuple[float, list[tuple[str, float]]]:
    """Total import time of ``xltools normalize`` on one file and its heaviest top-level imports
    (cumulative seconds), from ``python -X importtime``. ``--jobs 1``: one file is read in the
    process anyway, and without it the fork server (started early, with the same ``-X`` flags)
    would print its own imports into the same stream."""
    out = Path(tempfile.mkdtemp(prefix="bench-floor-out-"))
    code = ("import sys; sys.argv=['xltools','normalize',sys.argv[1],'--out',sys.argv[2],"
            "'--no-store','-q','--jobs','1']\nfrom xltools.cli import main\nmain()")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code, one_file, str(out)],
                          capture_output=True, text=True)
    shutil.rmtree(out, ignore_errors=True)
    tops: dict[str, float] = {}
    for ln in proc.stderr.splitlines():
        if not ln.startswith("import time:") or "|" not in ln or "cumulative" in ln:
            continue
        _, cum, name = ln.split("|")
        if not name.startswith("  ") and name.strip():  # top level: one space after '|'
            root = name.strip()
            tops[root] = tops.get(root, 0.0) + int(cum) / 1e6
    total = sum(tops.values())
    return total, sorted(tops.items(), key=lambda kv: -kv[1])[:top]


def cache_check(files: list[str]) -> str:
    """Frames with and without the structure cache on these files (identical, or why not)."""
    try:
        from xltools.forms import structure_cache
    except ImportError:
        return "no structure cache in this tree"
    from xltools.api import read_many

    with structure_cache.disabled():
        a = read_many(files)
    b = read_many(files)
    for name in ("submissions", "answers", "problems"):
        fa, fb = getattr(a, name), getattr(b, name)
        if not fa.equals(fb):
            return f"DIFFERENT: {name}"
    return f"identical ({len(files)} files, {structure_cache.stats()})"


def _compiled() -> None:
    """Byte-compile xltools first, as installing the wheel does: a source checkout run with
    ``PYTHONDONTWRITEBYTECODE`` (as here) would otherwise compile every module at every start,
    in the command and in the fork server, and start-up would measure the compiler."""
    import compileall

    import xltools

    compileall.compile_dir(str(Path(xltools.__file__).parent), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10000, help="official-look files (default 10000)")
    ap.add_argument("--plain", type=int, default=None,
                    help="plain returned files (default min(1000, --files))")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-cache-check", action="store_true",
                    help="skip comparing frames with and without the structure cache")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(_one(json.loads(a.one))))
        return

    _compiled()
    n_plain = a.plain if a.plain is not None else min(1000, a.files)
    sets = {"plain": corpus(PLAIN_CACHE, n_plain, official=False),
            "official": corpus(OFFICIAL_CACHE, a.files, official=True)}
    folders = {k: folder_of(v) for k, v in sets.items()}
    one = folder_of(sets["official"][:1])
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; xltools --jobs {a.jobs}; "
          f"median of {a.rounds} rounds", flush=True)
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in sets}
    starts: list[dict[str, float]] = []
    helps: list[float] = []
    for rnd in range(a.rounds):
        for kind, files in sets.items():
            fl = floor(files)
            x = normalize(folders[kind], a.jobs)
            rows[kind].append({"floor": fl, **x, "ratio": x["wall"] / fl})
            r = rows[kind][-1]
            print(f"  round {rnd + 1} {kind:<8} {len(files):>6} files: floor {fl:6.2f} s, "
                  f"xltools {r['wall']:6.2f} s ({r['ratio']:4.1f}x; CPU {r['cpu']:6.2f} s, "
                  f"{r['cpu'] / fl:4.1f}x), first read "
                  f"{r['first_read']:.2f} s, peak {r['max_process_mb']:.0f} MB "
                  f"(tree {r['tree_mb']:.0f} MB)", flush=True)
        starts.append(normalize(one, a.jobs))
        t = time.time()
        subprocess.run([shutil.which("xltools") or str(Path(sys.executable).parent / "xltools"),
                        "--help"], capture_output=True, check=True)
        helps.append(time.time() - t)

    def med(xs: list[dict[str, float]], k: str) -> float:
        return statistics.median(x[k] for x in xs)

    print("\nmedian of rounds (ratio = xltools wall / calamine floor, measured side by side)")
    for kind, files in sets.items():
        ratio = med(rows[kind], "ratio")
        goal = GOALS[kind] if (kind == "plain" and len(files) >= 1000) or len(files) >= 10000 else None
        verdict = "" if goal is None else f" (goal <= {goal:.0f}x) {'OK' if ratio <= goal else 'MISSED'}"
        print(f"{kind:<9} {len(files):>6} files: floor {med(rows[kind], 'floor'):6.2f} s "
              f"({med(rows[kind], 'floor') / len(files) * 1000:.2f} ms/file), xltools "
              f"{med(rows[kind], 'wall'):6.2f} s ({med(rows[kind], 'wall') / len(files) * 1000:.2f} "
              f"ms/file): {ratio:.2f}x the floor{verdict}; CPU of all processes "
              f"{med(rows[kind], 'cpu'):.2f} s ({med(rows[kind], 'cpu') / med(rows[kind], 'floor'):.1f}x "
              "the floor's)")
    peak = max(max(r["max_process_mb"] for r in v) for v in rows.values())
    tree = max(max(r["tree_mb"] for r in v) for v in rows.values())
    print(f"peak memory: largest process {peak:.0f} MB, whole tree (sampled) {tree:.0f} MB "
          f"(goal < {GOAL_MEMORY_MB} MB) {'OK' if tree < GOAL_MEMORY_MB else 'MISSED'}")
    first = med(starts, "first_read")
    print(f"start-up: normalize on one file {med(starts, 'wall'):.2f} s, launch -> first file read "
          f"{first:.2f} s (goal <= {GOAL_STARTUP} s) {'OK' if first <= GOAL_STARTUP else 'MISSED'}, "
          f"--help {statistics.median(helps):.2f} s")
    total, tops = heaviest_imports(sets["official"][0])
    print(f"imports (python -X importtime, normalize on one file): {total:.2f} s; heaviest: "
          + ", ".join(f"{n} {s:.2f}" for n, s in tops))
    if not a.no_cache_check:
        sample = sets["official"][:500] + sets["plain"][:200]
        print(f"structure cache: frames with vs without: {cache_check(sample)}")
    for f in (*folders.values(), one):
        shutil.rmtree(f, ignore_errors=True)


if __name__ == "__main__":
    main()
