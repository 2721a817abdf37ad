"""One replica of a PyTorchJob, as the operator would start it: no torchrun, so the process group
comes from the variables the operator sets on every pod (MASTER_ADDR, MASTER_PORT, WORLD_SIZE,
RANK). It all-reduces rank + 1 and writes what it saw to OUT_DIR/rank-R.json.
"""
import json
import os
import sys

import torch
import torch.distributed as dist

out_dir = sys.argv[1]
dist.init_process_group("gloo", init_method="env://")
rank, world = dist.get_rank(), dist.get_world_size()
total = torch.tensor([float(rank + 1)])
dist.all_reduce(total)
print("rank %d of %d: all-reduced sum %g" % (rank, world, total.item()), flush=True)
names = ["MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "PET_NNODES", "PET_NODE_RANK",
         "PET_NPROC_PER_NODE", "PET_MASTER_ADDR", "PET_MASTER_PORT", "PYTHONUNBUFFERED",
         "LOCAL_RANK", "GROUP_RANK", "MY_POD", "SLURMD_NODENAME"]
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "rank-%d.json" % rank), "w") as f:
    json.dump({"rank": rank, "world": world, "sum": total.item(),
               "env": {n: os.environ.get(n) for n in names}}, f)
dist.destroy_process_group()
