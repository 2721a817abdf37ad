"""Runs a pipeline function with KFP's own local runner (kfp.local.SubprocessRunner, no venv: the
packages come from this interpreter) and prints its wall time in seconds.

    python python_steps_kfp_local.py MODULE_FILE PIPELINE_FUNCTION PIPELINE_ROOT
"""
import importlib.util
import sys
import time

from kfp import local

spec = importlib.util.spec_from_file_location("pipeline_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=sys.argv[3])
start = time.time()
getattr(module, sys.argv[2])()
print("%.3f" % (time.time() - start))
