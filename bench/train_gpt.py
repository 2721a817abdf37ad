"""The PyTorch side of bench/train_gpt.sh: the same GPT as slipway-train's (pre-LayerNorm blocks,
causal multi-head attention, 4x GELU MLP, learned positions, tied output), byte-level tokens of
the same text, the same global batch, AdamW and thread count. Prints tokens_per_sec=..."""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

path, layers, width, heads, context, batch, steps, threads = sys.argv[1], *(int(a) for a in sys.argv[2:9])
torch.set_num_threads(threads)
torch.manual_seed(0)
data = torch.tensor(list(open(path, "rb").read()), dtype=torch.long)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.fc_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
        self.register_buffer("mask", torch.tril(torch.ones(context, context, dtype=torch.bool)))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // heads)
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, C))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(256, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block() for _ in range(layers))
        self.lnf = nn.LayerNorm(width)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        logits = self.lnf(x) @ self.wte.weight.T
        return F.cross_entropy(logits.view(-1, 256), targets.reshape(-1))


model = Gpt()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
gen = torch.Generator().manual_seed(1)
warmup = 10
for step in range(steps + warmup):
    if step == warmup:
        start = time.perf_counter()
    pos = torch.randint(0, len(data) - context - 1, (batch,), generator=gen)
    x = torch.stack([data[p:p + context] for p in pos])
    y = torch.stack([data[p + 1:p + context + 1] for p in pos])
    opt.zero_grad(set_to_none=True)
    model(x, y).backward()
    opt.step()
print("tokens_per_sec=%.1f" % (steps * batch * context / (time.perf_counter() - start)))
