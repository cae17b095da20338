"""Snapshot the three frames xltools reads from folders, or compare two snapshots.

A restructure must not change a single reading result. Run once before and once after:

    python scripts/frames_snapshot.py save before.pkl workbooks/samples corpus/
    python scripts/frames_snapshot.py save after.pkl workbooks/samples corpus/
    python scripts/frames_snapshot.py compare before.pkl after.pkl

The comparison ignores row order but nothing else (values, dtypes, columns).
"""

from __future__ import annotations

import pickle
import sys

import pandas as pd


def save(out: str, folders: list[str]) -> None:
    from xltools.forms.catalogue import load_catalogue
    from xltools.pipeline import expand_inputs, read_file, to_result

    catalogue = load_catalogue()
    result = to_result(read_file(f, catalogue) for f in expand_inputs(folders))
    frames = {name: getattr(result, name) for name in ("submissions", "answers", "problems")}
    with open(out, "wb") as f:
        pickle.dump(frames, f)
    print({k: len(v) for k, v in frames.items()})


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop(columns=[c for c in ("file_modified",) if c in df.columns])
    # snapshots may come from different pandas versions (.ci/floors.sh): a string column's
    # storage (python or pyarrow) is pandas' choice, not a reading result
    for c in df.columns:
        if isinstance(df[c].dtype, pd.StringDtype):
            df[c] = df[c].astype(pd.StringDtype("python"))
    return df.sort_values(list(df.columns), key=lambda s: s.astype(str)).reset_index(drop=True)


def compare(a: str, b: str) -> int:
    with open(a, "rb") as f:
        before = pickle.load(f)
    with open(b, "rb") as f:
        after = pickle.load(f)
    bad = 0
    for name in before:
        try:
            pd.testing.assert_frame_equal(_canonical(before[name]), _canonical(after[name]),
                                          check_column_type=False)  # the labels' Index dtype
            print(f"{name}: identical ({len(before[name])} rows)")
        except AssertionError as exc:
            bad += 1
            print(f"{name}: DIFFERENT\n{exc}")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "save":
        save(args[0], args[1:])
    else:
        sys.exit(compare(args[0], args[1]))
