"""KFP pipelines whose steps misbehave, to show that steps forked by a warm Python executor behave
as steps started from scratch (tests/integration/test_python_executor.sh).

    python_steps_faults.py OUT_DIR   (writes isolation.yaml, crash.yaml, sleep.yaml, broken.yaml,
    threaded.yaml; THREADED_PACKAGE names the directory of a package made by the test)
"""
import os
import sys

from kfp import compiler, dsl


@dsl.component
def leave_traces() -> str:
    """Leaves a non-daemon thread (the interpreter waits for it), a daemon thread (killed at
    exit), a variable, a patched module and a module attribute behind."""
    import os
    import string
    import threading
    import time

    import kfp

    def late():
        time.sleep(1.0)
        print("the late thread finished", flush=True)

    threading.Thread(target=late).start()
    threading.Thread(target=lambda: time.sleep(600), daemon=True).start()
    os.environ["LEFT_BY_A_STEP"] = "1"
    string.ascii_lowercase = "patched"
    kfp.left_by_a_step = True
    return "left"


@dsl.component
def look_around(after: str) -> str:
    """What a following step in the same environment sees."""
    import os
    import string
    import threading

    import kfp
    seen = [
        "env:" + ("dirty" if "LEFT_BY_A_STEP" in os.environ else "clean"),
        "threads:%d" % threading.active_count(),
        "module:" + ("dirty" if string.ascii_lowercase != "abcdefghijklmnopqrstuvwxyz" else "clean"),
        "attribute:" + ("dirty" if hasattr(kfp, "left_by_a_step") else "clean"),
        "group:" + ("own" if os.getpgid(0) == os.getpid() else "shared"),
        "cwd:" + ("task" if os.environ.get("PWD") == os.getcwd() else "other"),
        "task:" + os.environ.get("SLIPWAY_TASK", "?"),
    ]
    return " ".join(seen)


@dsl.pipeline(name="isolation")
def isolation():
    a = leave_traces()
    look_around(after=a.output)


@dsl.component
def crash():
    import ctypes
    ctypes.string_at(0)


@dsl.pipeline(name="crash")
def crash_pipeline():
    crash()


@dsl.component
def sleep_long(seconds: int):
    import time
    print("sleeping", flush=True)
    time.sleep(seconds)


@dsl.pipeline(name="sleep")
def sleep_pipeline(seconds: int = 300):
    sleep_long(seconds=seconds)


@dsl.component(packages_to_install=["slipway-no-such-package-anywhere==0.0.1"])
def needs_missing_package() -> str:
    return "unreachable"


@dsl.pipeline(name="broken-package")
def broken_package_pipeline():
    needs_missing_package()


THREADED = os.environ.get("THREADED_PACKAGE", "/nonexistent")


@dsl.component(packages_to_install=[f"threaded-at-import @ file://{THREADED}"])
def uses_threaded_module() -> str:
    """A module that starts a thread when imported: the executor must not preload it (the thread
    would be gone in the fork), so the step's own import starts it."""
    import threading

    import threaded_at_import
    return "threads:%d alive:%s" % (threading.active_count(), threaded_at_import.worker.is_alive())


@dsl.pipeline(name="threaded-import")
def threaded_import_pipeline():
    uses_threaded_module()


if __name__ == "__main__":
    out = sys.argv[1]
    compiler.Compiler().compile(isolation, os.path.join(out, "isolation.yaml"))
    compiler.Compiler().compile(crash_pipeline, os.path.join(out, "crash.yaml"))
    compiler.Compiler().compile(sleep_pipeline, os.path.join(out, "sleep.yaml"))
    compiler.Compiler().compile(broken_package_pipeline, os.path.join(out, "broken.yaml"))
    compiler.Compiler().compile(threaded_import_pipeline, os.path.join(out, "threaded.yaml"))
