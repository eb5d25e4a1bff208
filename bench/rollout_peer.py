#!/usr/bin/env python3
"""PyTorch eager peer for bench/rollout.bench.ps1: the same Qwen2-family decoder (RMSNorm, RoPE, grouped-query
attention, SwiGLU, q/k/v bias, tied embeddings) written as Hugging Face's eager modelling code does it, with a KV
cache (torch.cat per step, as DynamicCache), random weights, and the same per-step sampling work as RlTools
(log_softmax, entropy, multinomial draw, log-prob of the drawn token, copy to the host).
Prints one JSON line: tokens/s end to end and of the decode steps alone (time(N) - time(1)) and the measured memory read bandwidth."""
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h, self.kv, self.d = c["heads"], c["kv_heads"], c["head_dim"]
        hs = c["hidden"]
        self.q_proj = nn.Linear(hs, self.h * self.d, bias=True)
        self.k_proj = nn.Linear(hs, self.kv * self.d, bias=True)
        self.v_proj = nn.Linear(hs, self.kv * self.d, bias=True)
        self.o_proj = nn.Linear(self.h * self.d, hs, bias=False)

    def forward(self, x, cos, sin, mask, cache):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        new_cache = (k, v)
        rep = self.h // self.kv
        if rep > 1:  # repeat_kv
            s = k.shape[2]
            k = k[:, :, None].expand(b, self.kv, rep, s, self.d).reshape(b, self.h, s, self.d)
            v = v[:, :, None].expand(b, self.kv, rep, s, self.d).reshape(b, self.h, s, self.d)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.d)
        if mask is not None:
            att = att + mask
        att = att.softmax(-1)
        o = torch.matmul(att, v).transpose(1, 2).reshape(b, t, self.h * self.d)
        return self.o_proj(o), new_cache


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        hs, inter = c["hidden"], c["inter"]
        self.gate_proj = nn.Linear(hs, inter, bias=False)
        self.up_proj = nn.Linear(hs, inter, bias=False)
        self.down_proj = nn.Linear(inter, hs, bias=False)
        self.input_layernorm = RMSNorm(hs, 1e-6)
        self.post_attention_layernorm = RMSNorm(hs, 1e-6)

    def forward(self, x, cos, sin, mask, cache):
        a, cache = self.self_attn(self.input_layernorm(x), cos, sin, mask, cache)
        x = x + a
        n = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(n)) * self.up_proj(n)), cache


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c["layers"])])
        self.norm = RMSNorm(c["hidden"], 1e-6)
        d = c["head_dim"]
        self.inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, d, 2).float() / d))

    def rope(self, pos):
        f = pos[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((f, f), dim=-1)[:, None]
        return emb.cos(), emb.sin()

    def forward(self, ids, pos, caches):
        h = self.embed_tokens(ids)
        cos, sin = self.rope(pos)
        t = ids.shape[1]
        mask = None
        if t > 1:
            mask = torch.full((t, t), float("-inf")).triu(1)[None, None]
        new = []
        for i, layer in enumerate(self.layers):
            h, c = layer(h, cos, sin, mask, None if caches is None else caches[i])
            new.append(c)
        h = self.norm(h[:, -1:])
        return F.linear(h, self.embed_tokens.weight)[:, -1].float(), new


CONFIGS = {
    "tiny": dict(hidden=64, inter=176, layers=2, heads=4, kv_heads=2, head_dim=16, vocab=259, theta=10000.0),
    "qwen2.5-0.5b": dict(hidden=896, inter=4864, layers=24, heads=14, kv_heads=2, head_dim=64, vocab=151936, theta=1000000.0),
}


def init_weights(model):
    """As RlTools' New-RlPolicy: unit norms, zero biases, normal(0, 0.02) elsewhere."""
    with torch.no_grad():
        for name, prm in model.named_parameters():
            if "norm" in name:
                prm.fill_(1.0)
            elif name.endswith("bias"):
                prm.zero_()
            else:
                prm.normal_(0, 0.02)
    return model


def generate(model, b, p, n, gen):
    ids = torch.randint(0, 256, (b, p), generator=gen)
    pos = torch.arange(p)[None].expand(b, p)
    logits, caches = model(ids, pos, None)
    out = [[] for _ in range(b)]
    for step in range(n):
        logp = logits.log_softmax(-1)
        probs = logp.exp()
        ent = -(probs * logp).sum(-1)
        tok = torch.multinomial(probs, 1, generator=gen)
        lp = logp.gather(-1, tok).squeeze(-1)
        t, l, e = tok.squeeze(-1).tolist(), lp.tolist(), ent.tolist()
        for r in range(b):
            out[r].append((t[r], l[r], e[r]))
        if step == n - 1:
            break
        logits, caches = model(tok, torch.full((b, 1), p + step), caches)
    return out


def bandwidth(threads):
    x = torch.ones(256 * 1024 * 1024 // 4 * 4)  # 1 GiB of float32
    x.sum()
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        x.sum()
        best = max(best, x.numel() * 4 / (time.perf_counter() - t) / 1e9)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny", choices=CONFIGS)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bandwidth", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = CONFIGS[a.config]
    model = init_weights(Model(c)).eval()
    gen = torch.Generator().manual_seed(1)
    best, best1 = float("inf"), float("inf")
    with torch.inference_mode():
        generate(model, a.batch, a.prompt, min(a.tokens, 4), gen)  # warm-up
        for _ in range(a.repeats):
            t = time.perf_counter()
            generate(model, a.batch, a.prompt, 1, gen)  # prefill and the first token only
            best1 = min(best1, time.perf_counter() - t)
            t = time.perf_counter()
            generate(model, a.batch, a.prompt, a.tokens, gen)
            best = min(best, time.perf_counter() - t)
    res = dict(peer="pytorch-eager", torch=torch.__version__, config=a.config, batch=a.batch, prompt=a.prompt, tokens=a.tokens,
               threads=a.threads, seconds=best, seconds_first=best1, tokens_per_s=a.batch * a.tokens / best,
               decode_tokens_per_s=a.batch * (a.tokens - 1) / max(best - best1, 1e-9),
               params=sum(p.numel() for p in model.parameters()))
    if a.bandwidth:
        res["read_bandwidth_gbs"] = bandwidth(a.threads)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
