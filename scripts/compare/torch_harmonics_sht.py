#!/usr/bin/env python3
"""Times torch-harmonics' SHTs on this machine for the cases of `myriad bench sphere` (one thread, float32),
printing one JSON line per case. Usage: PYTHONPATH=/path/to/torch-harmonics-v0.6.3 python3 torch_harmonics_sht.py
Needs Debian's python3-torch (1.13); torch-harmonics itself is not part of myriad and is not shipped."""
import json
import sys
import time

import torch
import torch_harmonics as th

torch.set_num_threads(1)
CASES = [("equiangular", 180, 360, 90, 8), ("equiangular", 721, 1440, 360, 1),
         ("legendre-gauss", 64, 128, 64, 1), ("legendre-gauss", 64, 128, 43, 64)]


def median_ms(fn, repeats):
    for _ in range(3):
        fn()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    return t[len(t) // 2]


for grid, nlat, nlon, lmax, batch in CASES:
    sht = th.RealSHT(nlat, nlon, lmax=lmax, mmax=lmax, grid=grid).float()
    isht = th.InverseRealSHT(nlat, nlon, lmax=lmax, mmax=lmax, grid=grid).float()
    x = torch.randn(batch, nlat, nlon)
    c = sht(x)
    reps = 7 if nlat > 300 else 25
    with torch.no_grad():
        f = median_ms(lambda: sht(x), reps)
        i = median_ms(lambda: isht(c), reps)
    print(json.dumps({"bench": "sht_torch_harmonics", "version": th.__version__ if hasattr(th, "__version__") else "0.6.3",
                      "torch": torch.__version__, "grid": grid, "nlat": nlat, "nlon": nlon, "lmax": lmax, "mmax": lmax,
                      "batch": batch, "threads": 1, "dtype": "float32", "forward_ms": round(f, 3), "inverse_ms": round(i, 3)}))
    sys.stdout.flush()
