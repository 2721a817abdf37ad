"""Stands in for the script a Training Operator example's image carries (examples/pytorch/cpu-demo
runs `torchrun demo.py`, examples/pytorch/elastic/echo `python -m torch.distributed.run
--rdzv_backend=c10d ./echo.py`): the corpus test puts it beside the unchanged job file under the
script's name. It joins the process group torchrun set up from the operator's PET_* variables,
all-reduces rank + 1 and prints what it saw.
"""
import os
import sys

import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
total = torch.tensor([float(rank + 1)])
dist.all_reduce(total)
print("%s rank %d of %d on node %s: sum %g" % (os.path.basename(sys.argv[0]), rank, world,
                                                os.environ.get("GROUP_RANK"), total.item()), flush=True)
dist.destroy_process_group()
