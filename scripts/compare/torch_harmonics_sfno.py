#!/usr/bin/env python3
"""Times torch-harmonics' SFNO in the issue's comparison configuration ("th-compare": 64x128 Legendre-Gauss, 4 in/out
channels, embed 64, 4 layers, scale factor 1, MLP ratio 2, instance norm, GELU, big skip, positional embedding,
Driscoll-Healy), inference at batch 64 (float32, no_grad) on 1 and 2 threads, one JSON line each, as
`npx myriad bench sfno --json` prints its th-compare lines. Usage:
PYTHONPATH=/path/to/torch-harmonics-v0.6.3 python3 torch_harmonics_sfno.py [batch ...]
(MYRIAD_COMPARE_THREADS=2 restricts the thread counts, e.g. to alternate with myriad's runs.)
Needs Debian's python3-torch (1.13); torch-harmonics itself is not part of myriad and is not shipped."""
import json
import os
import sys
import time

import types

import torch

# torch-harmonics' example SFNO imports tensorly and tensorly-torch for factorised weights, which this configuration
# (dense Driscoll-Healy weights) does not use; when they are not installed, minimal stand-ins satisfy the imports.
try:
    import tensorly  # noqa: F401
    import tltorch  # noqa: F401
except ImportError:
    tl = types.ModuleType("tensorly")
    tl.set_backend = lambda name: None
    tl.ndim = lambda x: x.ndim
    tl.einsum = torch.einsum
    core = types.ModuleType("tltorch.factorized_tensors.core")
    core.FactorizedTensor = type("FactorizedTensor", (), {})
    sys.modules.update({"tensorly": tl, "tltorch": types.ModuleType("tltorch"),
                        "tltorch.factorized_tensors": types.ModuleType("tltorch.factorized_tensors"),
                        "tltorch.factorized_tensors.core": core})

from torch_harmonics.examples.sfno import SphericalFourierNeuralOperatorNet as SFNO  # noqa: E402

batches = [int(b) for b in sys.argv[1:]] or [64]
torch.manual_seed(0)
model = SFNO(spectral_transform="sht", operator_type="driscoll-healy", img_size=(64, 128), grid="legendre-gauss",
             scale_factor=1, in_chans=4, out_chans=4, embed_dim=64, num_layers=4, activation_function="gelu",
             use_mlp=True, mlp_ratio=2.0, normalization_layer="instance_norm", big_skip=True, pos_embed=True).float().eval()

for threads in [int(t) for t in os.environ.get("MYRIAD_COMPARE_THREADS", "1,2").split(",")]:
    torch.set_num_threads(threads)
    for batch in batches:
        x = torch.randn(batch, 4, 64, 128)
        with torch.no_grad():
            for _ in range(2):
                model(x)
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - t0)
        times.sort()
        s = times[len(times) // 2]
        print(json.dumps({"suite": "sfno_torch_harmonics", "config": "th-compare", "kind": "inference", "batch": batch,
                          "threads": threads, "torch": torch.__version__, "memberStepsPerS": round(batch / s, 2),
                          "msPerStep": round(s * 1e3, 1), "loadAverage": round(os.getloadavg()[0], 2)}), flush=True)
