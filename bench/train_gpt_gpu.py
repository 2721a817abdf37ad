"""The PyTorch side of bench/train_gpt_gpu.sh: the GPT of slipway-train (pre-LayerNorm, tied
output, GELU tanh, learned positions) on one GPU in bf16 autocast with fp32 master weights, fused
AdamW and scaled_dot_product_attention, eager or torch.compile. Byte tokens of the given text, the
output layer `vocab` wide, as slipway's. Prints tokens_per_sec=..., peak_memory_bytes=..., mfu=..."""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

path, layers, width, heads, context, vocab, batch, steps, mode = sys.argv[1], *(int(a) for a in sys.argv[2:9]), sys.argv[9]
torch.manual_seed(0)
torch.backends.cuda.matmul.allow_tf32 = True
device = "cuda"
data = torch.tensor(list(open(path, "rb").read()), dtype=torch.long)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.fc, self.fc_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block() for _ in range(layers))
        self.lnf = nn.LayerNorm(width)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        for b in self.blocks:
            x = b(x)
        logits = self.lnf(x) @ self.wte.weight.T
        return F.cross_entropy(logits.float().view(-1, vocab), targets.reshape(-1))


model = Gpt().to(device)
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, fused=True)
step_fn = torch.compile(model) if mode == "compile" else model
gen = torch.Generator().manual_seed(1)


def batch_of():
    pos = torch.randint(0, len(data) - context - 1, (batch,), generator=gen)
    x = torch.stack([data[p:p + context] for p in pos]).to(device, non_blocking=True)
    y = torch.stack([data[p + 1:p + context + 1] for p in pos]).to(device, non_blocking=True)
    return x, y


warmup = 10
torch.cuda.reset_peak_memory_stats()
for step in range(steps + warmup):
    if step == warmup:
        torch.cuda.synchronize()
        start = time.perf_counter()
    x, y = batch_of()
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = step_fn(x, y)
    loss.backward()
    opt.step()
torch.cuda.synchronize()
rate = steps * batch * context / (time.perf_counter() - start)
# Training FLOPs per token: 6 per parameter plus attention's 12·layers·context·width (PaLM's count).
flops_per_token = 6 * params + 12 * layers * context * width
peak = float(sys.argv[10]) if len(sys.argv) > 10 else 989e12  # H100 SXM dense bf16
print("tokens_per_sec=%.1f" % rate)
print("peak_memory_bytes=%d" % torch.cuda.max_memory_allocated())
print("mfu=%.4f" % (rate * flops_per_token / peak))
print("params=%d" % params)
