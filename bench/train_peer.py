#!/usr/bin/env python3
"""PyTorch eager peer of bench/train.bench.ps1: the same Qwen2-family decoder as bench/rollout_peer.py (Hugging Face-style
eager code), the same unpadded batch (prompt + completion tokens per row), and the same update as Update-RlPolicy's
defaults: PPO dual-clip surrogate (clip 0.2, dual clip 3), token-mean over completion tokens, entropy recorded without
gradient, gradient clipping at 1.0, AdamW (lr 1e-4, weight decay 0.01). Logits come for every position and are sliced
to the completion positions afterwards, as TRL and verl's Hugging Face path do.
Prints one JSON line: completion tokens per second, seconds per step, and the matmul GFLOP/s of this machine."""
import argparse, json, time
import torch
import torch.nn.functional as F
from rollout_peer import CONFIGS, Model, init_weights

ap = argparse.ArgumentParser()
ap.add_argument("--config", default="tiny", choices=CONFIGS)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--warmup", type=int, default=2)
ap.add_argument("--batch", type=int, default=16)
ap.add_argument("--prompt", type=int, default=32)
ap.add_argument("--completion", type=int, default=96)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
c = CONFIGS[a.config]
model = init_weights(Model(c)).train()


def logits_all(ids):
    """Every position's logits (the rollout peer's forward keeps only the last one)."""
    b, t = ids.shape
    h = model.embed_tokens(ids)
    cos, sin = model.rope(torch.arange(t)[None].expand(b, t))
    mask = torch.full((t, t), float("-inf")).triu(1)[None, None]
    for layer in model.layers:
        h, _ = layer(h, cos, sin, mask, None)
    return F.linear(model.norm(h), model.embed_tokens.weight)


opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
L, T = a.prompt + a.completion, a.completion
ids = torch.randint(0, 256, (a.batch, L))
targets = ids[:, a.prompt:]
old = torch.full((a.batch, T), -9.0)
adv = (torch.rand(a.batch, 1) * 2 - 1).expand(a.batch, T)


def step():
    opt.zero_grad()
    z = logits_all(ids)[:, a.prompt - 1:-1]
    lsm = torch.log_softmax(z, -1)
    lp = lsm.gather(2, targets.unsqueeze(-1)).squeeze(-1)
    with torch.no_grad():
        ent = -(lsm.exp() * lsm).sum(-1)
    ratio = torch.exp(torch.clamp(lp - old, -20, 20))
    l1 = -adv * ratio
    l2 = -adv * torch.clamp(ratio, 0.8, 1.2)
    lc = torch.maximum(l1, l2)
    loss = torch.where(adv < 0, torch.minimum(lc, -adv * 3.0), lc).mean()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item(), ent.mean().item()


for _ in range(a.warmup):
    step()
best = float("inf")
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    best = min(best, time.perf_counter() - t0)

x = torch.randn(1024, 1024); y = torch.randn(1024, 1024)
for _ in range(3): x @ y
t1 = time.perf_counter(); n = 10
for _ in range(n): x @ y
mm = 2 * 1024 ** 3 * n / (time.perf_counter() - t1) / 1e9
print(json.dumps({"torch": torch.__version__, "config": a.config, "tokens_per_s": a.batch * T / best, "seconds_per_step": best,
                  "matmul_gflops": mm, "params": sum(p.numel() for p in model.parameters())}))
