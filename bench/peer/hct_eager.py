#!/usr/bin/python3
"""The peer of bench_hct_peer: mogo's hierarchical causal transformer written plainly in PyTorch
eager (Debian's python3-torch), random weights, the same sizes, sampling, cache and guidance.

Its best eager settings: torch.inference_mode(), one fused QKV linear per layer, a key/value cache
preallocated once and written in place, rotary tables computed once, torch's and OpenBLAS's thread
pools both at --threads=N (default 1).

It is driven over stdin/stdout so that the benchmark can alternate it with mogo in one run:
after 'ready', each line 'run' generates --steps steps and answers the seconds it took.
"""
import argparse
import math
import os
import sys
import time

# OpenBLAS keeps its own thread pool beside torch's: left at its default it spins on every core and
# on a busy machine a step takes 10x longer. mogo sets both pools to the same count; so does the peer.
_threads = next((a.split("=")[1] for a in sys.argv if a.startswith("--threads=")), None)
os.environ["OPENBLAS_NUM_THREADS"] = _threads or "1"

import torch  # noqa: E402 (after the thread setting)
import torch.nn.functional as F  # noqa: E402


class Layer(torch.nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.norm1 = torch.nn.LayerNorm(d)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.out = torch.nn.Linear(d, d)
        self.norm2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, ff * d)
        self.fc2 = torch.nn.Linear(ff * d, d)

    def forward(self, x, cos, sin, cache_k, cache_v, pos):
        # x [B,1,d]; cache_k/v [B,H,P,dh] preallocated; pos: the position written now
        B, T, d = x.shape
        dh = d // self.heads
        qkv = self.qkv(self.norm1(x)).view(B, T, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        q, k, v = rope(qkv[0], cos, sin), rope(qkv[1], cos, sin), qkv[2]
        cache_k[:, :, pos:pos + T] = k
        cache_v[:, :, pos:pos + T] = v
        keys, values = cache_k[:, :, :pos + T], cache_v[:, :, :pos + T]
        att = torch.softmax(q @ keys.transpose(-2, -1) / math.sqrt(dh), -1)
        y = (att @ values).transpose(1, 2).reshape(B, T, d)
        h = x + self.out(y)
        return h + self.fc2(F.gelu(self.fc1(self.norm2(h))))


def rope(x, cos, sin):
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), -1).flatten(-2)


class HCT(torch.nn.Module):
    def __init__(self, d, heads, base, residual, ff, codes, quantizers, max_positions):
        super().__init__()
        self.d, self.heads, self.codes, self.Q = d, heads, codes, quantizers
        self.level = torch.nn.Parameter(torch.randn(quantizers, d) * 0.02)
        self.emb = torch.nn.ModuleList(torch.nn.Embedding(codes, d) for _ in range(quantizers))
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleList(Layer(d, heads, ff) for _ in range(base if q == 0 else residual))
            for q in range(quantizers))
        self.norms = torch.nn.ModuleList(torch.nn.LayerNorm(d) for _ in range(quantizers))
        self.heads_out = torch.nn.ModuleList(
            torch.nn.Linear(d, codes + 1 if q == 0 else codes) for q in range(quantizers))
        dh = d // heads
        inv = torch.pow(10000.0, -torch.arange(0, dh // 2, dtype=torch.float) * 2.0 / dh)
        angle = torch.arange(max_positions, dtype=torch.float)[:, None] * inv[None, :]
        self.cos, self.sin = angle.cos(), angle.sin()
        self.max_positions = max_positions

    def new_cache(self, rows):
        dh = self.d // self.heads
        n = sum(len(b) for b in self.blocks)
        shape = (rows, self.heads, self.max_positions, dh)
        return [(torch.empty(shape), torch.empty(shape)) for _ in range(n)]

    def step(self, x, cache, pos):
        cos, sin = self.cos[pos:pos + 1], self.sin[pos:pos + 1]
        logits, i, h = [], 0, x
        for q in range(self.Q):
            h = h + self.level[q]
            for layer in self.blocks[q]:
                h = layer(h, cos, sin, cache[i][0], cache[i][1], pos)
                i += 1
            logits.append(self.heads_out[q](self.norms[q](h))[:, -1])
        return logits

    def embed(self, tokens):  # [B,Q]
        return sum(self.emb[q](tokens[:, q]) for q in range(self.Q)).unsqueeze(1)


def sample(logits, temperature, top_k, gen):
    if top_k > 0:
        kth = torch.topk(logits, top_k, -1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=gen).squeeze(-1)


def generate(model, steps, guidance, temperature, top_k, seed):
    gen = torch.Generator().manual_seed(seed)
    cond = torch.randn(1, model.d)
    x = torch.cat([cond, torch.zeros(1, model.d)]).unsqueeze(1)  # conditioned and null rows
    cache = model.new_cache(2)
    for s in range(steps):
        logits = model.step(x, cache, s)
        guided = [l[1:] + guidance * (l[:1] - l[1:]) for l in logits]
        guided[0][:, model.codes] = float("-inf")  # no END: a fixed length
        tokens = torch.stack([sample(l, temperature, top_k, gen) for l in guided], 1)  # [1,Q]
        x = model.embed(tokens.repeat(2, 1))


def main():
    ap = argparse.ArgumentParser()
    for name, default in [("dim", 256), ("heads", 4), ("base-layers", 4), ("residual-layers", 1), ("ff-mult", 4),
                          ("codes", 512), ("quantizers", 6), ("steps", 48), ("top-k", 0)]:
        ap.add_argument("--" + name, type=int, default=default)
    ap.add_argument("--threads", type=int, default=1)  # read above, before torch is imported
    ap.add_argument("--guidance", type=float, default=4.0)
    ap.add_argument("--temperature", type=float, default=0.8)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with torch.inference_mode():
        model = HCT(a.dim, a.heads, a.base_layers, a.residual_layers, a.ff_mult, a.codes, a.quantizers,
                    a.steps + 1).eval()
        generate(model, a.steps, a.guidance, a.temperature, a.top_k, 0)  # warm-up
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                break
            t0 = time.perf_counter()
            generate(model, a.steps, a.guidance, a.temperature, a.top_k, 1)
            print(f"{time.perf_counter() - t0:.6f}", flush=True)


if __name__ == "__main__":
    main()
