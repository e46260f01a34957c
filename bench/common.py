"""Answer canonicalization and comparison shared by the engine runners and the report."""

import numpy as np
import pandas as pd

DROP_CACHES = True


def canonical(df, q):
    """The query's columns by name, temporal columns as int64 epoch milliseconds, strings as
    str, integers as int64 (nullable), floats as float64 (null -> NaN); rows sorted by the
    query's keys unless the query's order is part of its answer."""
    missing = [c for c in q["cols"] if c not in df.columns]
    if missing:
        raise ValueError(f"result lacks columns {missing}; it has {list(df.columns)}")
    out = {}
    for c in q["cols"]:
        s = df[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[c] = s.astype("datetime64[ms]").astype("int64")
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.astype("int64")
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[c] = s.astype("Int64")
        elif pd.api.types.is_float_dtype(s.dtype):
            out[c] = s.astype("float64")
        else:
            out[c] = s.astype(str)
    res = pd.DataFrame(out)
    if not q["ordered"]:
        res = res.sort_values(q["keys"], kind="stable")
    return res.reset_index(drop=True)


def compare(ref, got, tol):
    """None when equal (floats within relative tolerance `tol`, NaN == NaN), else a short
    description of the first difference."""
    if list(ref.columns) != list(got.columns):
        return f"columns {list(got.columns)} != {list(ref.columns)}"
    if len(ref) != len(got):
        return f"{len(got)} rows != {len(ref)} rows"
    for c in ref.columns:
        a, b = ref[c], got[c]
        if pd.api.types.is_float_dtype(a.dtype) or pd.api.types.is_float_dtype(b.dtype):
            x = a.astype("float64").to_numpy()
            y = b.astype("float64").to_numpy()
            ok = np.isclose(x, y, rtol=tol, atol=tol, equal_nan=True)
        else:
            ok = (a.astype(str).to_numpy() == b.astype(str).to_numpy())
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            return (f"column {c} differs at row {i} of {len(ref)} ({int((~ok).sum())} rows): "
                    f"{b.iloc[i]!r} vs {a.iloc[i]!r}; row: {got.iloc[i].to_dict()}")
    return None
