"""NumPy vectorised peer for bench/advantage.bench.ps1: GRPO, RLOO and DGPO over the same data.

Reads rewards (float64) and group indices (int64) written by the bench script, times each
estimator's arithmetic (median of N runs after a warm-up) and writes its advantages back for the
cross-check. Three forms are timed:
  kernel   - from integer group indices (np.bincount; any group sizes), like the C# kernel
  reshape  - the best case for NumPy: equal, contiguous groups viewed as a (groups, G) matrix
  e2e      - from prompt-id strings: np.unique(..., return_inverse=True) + kernel
"""
import json
import sys
import time

import numpy as np

EPS = 1e-6


def group_stats(gid, r, n_groups):
    cnt = np.bincount(gid, minlength=n_groups).astype(np.float64)
    mean = np.bincount(gid, weights=r, minlength=n_groups) / cnt
    dev = r - mean[gid]
    var = np.bincount(gid, weights=dev * dev, minlength=n_groups) / np.maximum(cnt - 1, 1)
    return cnt, mean, np.sqrt(var)


def grpo(gid, r, n_groups):
    cnt, mean, std = group_stats(gid, r, n_groups)
    single = cnt == 1
    mean = np.where(single, 0.0, mean)
    std = np.where(single, 1.0, std)
    return (r - mean[gid]) / (std[gid] + EPS)


def rloo(gid, r, n_groups):
    cnt = np.bincount(gid, minlength=n_groups).astype(np.float64)
    mean = np.bincount(gid, weights=r, minlength=n_groups) / cnt
    c = cnt[gid]
    return np.where(c > 1, c / np.maximum(c - 1, 1) * (r - mean[gid]), r)


def dgpo(gid, r, n_groups, temperature=2.0):
    cnt, mean, std = group_stats(gid, r, n_groups)
    single = cnt == 1
    mean0 = np.where(single, 0.0, mean)
    dev = r - mean0[gid]
    mad = np.bincount(gid, weights=np.abs(dev), minlength=n_groups)
    adv = cnt[gid] * dev / (mad[gid] + 1e-4)
    std = np.where(single, 1.0, std)
    valid = std > 1e-8
    acc = np.where(mean == 0, 1.0, mean)
    logits = -acc / temperature
    if valid.any():
        w = np.exp(logits - logits[valid].max())
        lam = np.where(valid, valid.sum() * w / w[valid].sum(), 1.0)
        adv = adv * lam[gid]
    return adv


def grpo_reshape(r, g):
    m = r.reshape(-1, g)
    return ((m - m.mean(1, keepdims=True)) / (m.std(1, ddof=1, keepdims=True) + EPS)).ravel()


def rloo_reshape(r, g):
    m = r.reshape(-1, g)
    return (g / (g - 1) * (m - m.mean(1, keepdims=True))).ravel()


def dgpo_reshape(r, g, temperature=2.0):
    m = r.reshape(-1, g)
    mean = m.mean(1, keepdims=True)
    dev = m - mean
    adv = g * dev / (np.abs(dev).sum(1, keepdims=True) + 1e-4)
    std = m.std(1, ddof=1)
    valid = std > 1e-8
    acc = np.where(mean[:, 0] == 0, 1.0, mean[:, 0])
    logits = -acc / temperature
    if valid.any():
        w = np.exp(logits - logits[valid].max())
        lam = np.where(valid, valid.sum() * w / w[valid].sum(), 1.0)
        adv = adv * lam[:, None]
    return adv.ravel()


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def main():
    data_dir, group_size, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = np.fromfile(f"{data_dir}/rewards.f64", dtype=np.float64)
    gid = np.fromfile(f"{data_dir}/groups.i64", dtype=np.int64)
    n_groups = int(gid.max()) + 1
    ids = np.char.add("p", gid.astype(str))
    kernels = {"GRPO": (grpo, grpo_reshape), "RLOO": (rloo, rloo_reshape), "DGPO": (dgpo, dgpo_reshape)}
    out = {"numpy": np.__version__, "results": {}}
    for name, (k, kr) in kernels.items():
        def e2e():
            _, inv = np.unique(ids, return_inverse=True)
            return k(inv, r, n_groups)
        res = {
            "kernel_ms": median_ms(lambda: k(gid, r, n_groups), repeat),
            "reshape_ms": median_ms(lambda: kr(r, group_size), repeat),
            "e2e_ms": median_ms(e2e, max(1, repeat // 2)),
        }
        k(gid, r, n_groups).astype(np.float64).tofile(f"{data_dir}/{name}.numpy.f64")
        out["results"][name] = res
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
