"""The PyTorch side of bench/train_mlp.sh: the same MLP, data, global batch, optimizer and
thread count as the slipway-train config, timed the same way (steady-state samples per second
over the steps after a warm-up). Prints samples_per_sec=... for the shell to read."""
import sys
import time

import torch

features, hidden, classes, batch, steps, threads = (int(a) for a in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
rows = 100_000
x = torch.randn(rows, features)
y = torch.randint(0, classes, (rows,))
layers, width = [], features
for _ in range(2):
    layers += [torch.nn.Linear(width, hidden), torch.nn.ReLU()]
    width = hidden
model = torch.nn.Sequential(*layers, torch.nn.Linear(width, classes))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
loss_fn = torch.nn.CrossEntropyLoss()
warmup = 20
perm = torch.randperm(rows)
for step in range(steps + warmup):
    if step == warmup:
        start = time.perf_counter()
    idx = perm[(step * batch) % (rows - batch):][:batch]
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x[idx]), y[idx])
    loss.backward()
    opt.step()
elapsed = time.perf_counter() - start
print("samples_per_sec=%.1f" % (steps * batch / elapsed))
