"""A data-parallel step with PyTorch's gloo backend, started by `slipway launch`.

Each rank joins the process group from the environment the launcher set (env://), all-reduces
its rank + 1, and trains one DDP step of a tiny model on its own slice of data; the parameters
must then be equal on every rank. It writes what it saw to OUT_DIR/rank-R.json.
"""
import json
import os
import socket
import sys

import torch
import torch.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group("gloo", init_method="env://")
rank, world = dist.get_rank(), dist.get_world_size()

total = torch.tensor([float(rank + 1)])
dist.all_reduce(total)

torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.arange(8 * world, dtype=torch.float32).reshape(2 * world, 4)[2 * rank:2 * rank + 2] / 10
loss = model(x).pow(2).mean()
loss.backward()
opt.step()
params = torch.cat([p.detach().flatten() for p in model.parameters()])
gathered = [torch.zeros_like(params) for _ in range(world)]
dist.all_gather(gathered, params)

with open(os.path.join(out_dir, "rank-%d.json" % rank), "w") as f:
    json.dump({
        "rank": rank, "world": world, "local_rank": int(os.environ["LOCAL_RANK"]),
        "group_rank": int(os.environ["GROUP_RANK"]), "node": os.environ.get("SLURMD_NODENAME", socket.gethostname()),
        "master": "%s:%s" % (os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"]),
        "sum": total.item(), "params_equal": all(torch.equal(g, gathered[0]) for g in gathered),
        "cpus": sorted(os.sched_getaffinity(0)),
    }, f)
dist.destroy_process_group()
