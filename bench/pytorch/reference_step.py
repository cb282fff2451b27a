#!/usr/bin/env python3
"""Time attnlab's reference training step in PyTorch, on this machine's CPU.

The step BenchmarkTrainStepRef times (train/bench_test.go), written the way a
PyTorch user would: a TransformerLens-style model with 2 layers, attention
only, d_model 64, 4 heads of 16, vocabulary 64, learned positions, pre-LayerNorm
(eps 1e-5), a final LayerNorm and an unembedding; batch 32 sequences of 65
tokens; mean cross-entropy over every position; backward; gradient-norm clip
1.0; AdamW (lr 1e-3, weight decay 0.01). The fused q|k|v projection and the
masked softmax are what nn.Linear and eager PyTorch offer; nothing is compiled.

It prints, for each thread count, one line per repeat:

    torch 1.13.0a0 threads 1 repeat 1: 29871 tokens/s, 30112 tokens/cpu-s

tokens/s is wall-clock; tokens/cpu-s divides by the process's CPU time
(time.process_time), which on a machine shared with other jobs varies less
than wall time, as attnlab's cpu-ms/op does. Compare with

    go test ./train -run XXX -bench 'TrainStepRef$' -count 5

on the same machine (its tokens/s, and 2080 tokens / cpu-ms/op for tokens per
CPU-second). Run with any PyTorch >= 1.13 (Debian: apt-get install
python3-torch, then /usr/bin/python3 bench/pytorch/reference_step.py).
"""

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

D_MODEL, N_HEADS, D_HEAD, VOCAB, T, BATCH, LAYERS = 64, 4, 16, 64, 65, 32, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.qkv = nn.Linear(D_MODEL, 3 * N_HEADS * D_HEAD)
        self.out = nn.Linear(N_HEADS * D_HEAD, D_MODEL)

    def forward(self, x, mask):
        B, L, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(N_HEADS * D_HEAD, dim=-1)
        q = q.view(B, L, N_HEADS, D_HEAD).transpose(1, 2)
        k = k.view(B, L, N_HEADS, D_HEAD).transpose(1, 2)
        v = v.view(B, L, N_HEADS, D_HEAD).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / D_HEAD**0.5
        pattern = scores.masked_fill(mask, float("-inf")).softmax(dim=-1)
        z = (pattern @ v).transpose(1, 2).reshape(B, L, N_HEADS * D_HEAD)
        return x + self.out(z)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL)
        self.pos = nn.Parameter(torch.randn(T, D_MODEL) * 0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_final = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.unembed = nn.Linear(D_MODEL, VOCAB)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos[: tokens.shape[1]]
        for b in self.blocks:
            x = b(x, self.mask)
        return self.unembed(self.ln_final(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=60, help="timed steps per repeat")
    a = ap.parse_args()
    torch.manual_seed(1)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(2)
    tokens = torch.randint(0, VOCAB, (BATCH, T), generator=g)
    targets = torch.randint(0, VOCAB, (BATCH, T), generator=g)

    def step():
        logits = model(tokens)
        loss = F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for threads in (int(s) for s in a.threads.split(",")):
        torch.set_num_threads(threads)
        for _ in range(10):  # warm up
            step()
        for r in range(a.repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(a.steps):
                step()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            tok = BATCH * T * a.steps
            print(f"torch {torch.__version__} threads {threads} repeat {r + 1}: "
                  f"{tok / wall:.0f} tokens/s, {tok / cpu:.0f} tokens/cpu-s", flush=True)


if __name__ == "__main__":
    main()
