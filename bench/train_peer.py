"""PyTorch eager peer of bench/train.bench.ps1: the same tiny model (embedding -> tanh(linear) -> linear),
the same padded batch, the same PPO dual-clip token-mean loss with entropy, gradient clipping and AdamW.
Prints one JSON line: completion tokens per second and matmul GFLOP/s on this machine."""
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--prompt", type=int, default=32)
p.add_argument("--completion", type=int, default=96)
p.add_argument("--dim", type=int, default=256)
p.add_argument("--vocab", type=int, default=8192)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(a.vocab, a.dim)
        self.hidden = torch.nn.Linear(a.dim, a.dim)
        self.head = torch.nn.Linear(a.dim, a.vocab)
    def forward(self, ids):
        return self.head(torch.tanh(self.hidden(self.embed(ids))))

model = Tiny()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
L, T = a.prompt + a.completion, a.completion
ids = torch.randint(0, 256, (a.batch, L))
targets = ids[:, a.prompt:]
positions = (torch.arange(T) + a.prompt - 1).expand(a.batch, T)
mask = torch.ones(a.batch, T)
adv = torch.randn(a.batch, 1).expand(a.batch, T)
with torch.no_grad():
    old = torch.log_softmax(model(ids), -1).gather(1, positions.unsqueeze(-1).expand(a.batch, T, a.vocab)) \
        .gather(2, targets.unsqueeze(-1)).squeeze(-1)

def step():
    opt.zero_grad()
    logits = model(ids)
    z = logits.gather(1, positions.unsqueeze(-1).expand(a.batch, T, a.vocab))
    lsm = torch.log_softmax(z, -1)
    lp = lsm.gather(2, targets.unsqueeze(-1)).squeeze(-1)
    with torch.no_grad():
        ent = -(lsm.exp() * lsm).sum(-1)
    ratio = torch.exp(torch.clamp(lp - old, -20, 20))
    l1 = -adv * ratio
    l2 = -adv * torch.clamp(ratio, 0.8, 1.2)
    lc = torch.maximum(l1, l2)
    loss = torch.where(adv < 0, torch.minimum(lc, -adv * 3.0), lc)
    loss = (loss * mask).sum() / mask.sum()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item(), (ent * mask).sum().item()

for _ in range(3):
    step()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
dt = (time.perf_counter() - t0) / a.steps

x = torch.randn(1024, 1024); y = torch.randn(1024, 1024)
for _ in range(3): x @ y
t1 = time.perf_counter(); n = 10
for _ in range(n): x @ y
mm = 2 * 1024 ** 3 * n / (time.perf_counter() - t1) / 1e9
print(json.dumps({"tokens_per_s": a.batch * T / dt, "seconds_per_step": dt, "matmul_gflops": mm}))
