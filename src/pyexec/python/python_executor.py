# slipway's warm Python executor: a fork server for one Python environment.
#
# The driver starts it once per environment (and per import-time environment variables) with
# the control socket on fd 3. It imports KFP's executor and the packages the component names,
# says it is ready, then for each request forks a fresh process that becomes the task:
#
#   server --fork--> A --fork--> B (the task)      A exits at once, so B is handed to the
#                                                   driver (a child subreaper), which waits for
#                                                   it like any task it started itself.
#
# B takes its own process group, the task's stdout/stderr files (passed as descriptors), its
# working directory and its exact environment, then runs the component module as `python3 -m`
# would. It ends the way a fresh interpreter ends: non-daemon threads are joined, atexit handlers
# run, an uncaught exception prints its traceback and exits 1, a signal kills it.
#
# Protocol on fd 3 (a Unix stream socket): the driver sends an 8-byte header (body length, number
# of descriptors, both little-endian u32) carrying the descriptors, then a JSON body; this server
# answers one JSON line per request. End of file means the driver is gone: the server exits.
import gc
import json
import os
import socket
import struct
import sys
import tempfile
import threading
import traceback

# What `python3 -m` leaves in __main__ before it runs the module; anything else the start-up
# stub put there is removed in the task.
_PRISTINE_MAIN = {"__name__", "__doc__", "__package__", "__loader__", "__spec__",
                  "__annotations__", "__builtins__"}
_THIS_FILE = os.path.abspath(__file__)


def _send(ctl, obj):
    ctl.sendall((json.dumps(obj) + "\n").encode())


def _receive(ctl):
    """(request, descriptors), or (None, []) at end of file."""
    header, fds, _, _ = socket.recv_fds(ctl, 8, 8)
    if not header:
        return None, fds
    while len(header) < 8:
        more = ctl.recv(8 - len(header))
        if not more:
            return None, fds
        header += more
    length, _ = struct.unpack("<II", header)
    body = bytearray()
    while len(body) < length:
        chunk = ctl.recv(min(1 << 20, length - len(body)))
        if not chunk:
            return None, fds
        body += chunk
    return json.loads(body), fds


def _cuda_driver_loaded():
    """Whether this process has loaded the CUDA driver: a CUDA context does not survive fork, and
    a forked task could not use the GPU."""
    try:
        with open("/proc/self/maps") as maps:
            return any("libcuda.so" in line for line in maps)
    except OSError:
        return False


def _preload(modules, skip):
    """Imports each module; the first that leaves a Python thread running or loads the CUDA
    driver is returned (neither survives fork: the tasks would see that module broken)."""
    import importlib
    loaded = []
    for name in modules:
        if name in skip or name in sys.modules:
            continue
        try:
            importlib.import_module(name)
            loaded.append(name)
        except BaseException:  # a module the task will fail to import itself, with its own error
            continue
        if threading.active_count() > 1 or _cuda_driver_loaded():
            return loaded, name
    return loaded, None


def _strip_own_frames(tb):
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) == _THIS_FILE:
        tb = tb.tb_next
    return tb


def _become_task(req, fds, ctl):
    """Runs in B. Never returns: the task's end unwinds to the interpreter's own exit."""
    try:
        os.setpgid(0, 0)
    except OSError:  # A already made B the leader of its own group
        pass
    ctl.close()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    try:
        os.chdir(req["cwd"])
    except OSError as e:
        sys.stderr.write("slipway: cannot enter the task's directory %s: %s\n" % (req["cwd"], e))
        sys.stderr.flush()
        os._exit(127)
    os.environ.clear()
    os.environ.update(req["env"])
    # A fresh interpreter seeds NumPy's global generator from the OS; a forked one would repeat
    # the server's draws in every task.
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    main = sys.modules["__main__"].__dict__
    for key in list(main):
        if key not in _PRISTINE_MAIN:
            del main[key]
    sys.modules.pop("_slipway_python_executor", None)
    # As `python3 -m`: the working directory first on sys.path.
    sys.path[0] = os.getcwd()
    program_dir = tempfile.mkdtemp()
    program = os.path.join(program_dir, "ephemeral_component.py")
    with open(program, "w") as f:
        f.write(req["source"])
    sys.argv = ["-m", "--component_module_path", program] + req["args"]
    import runpy
    try:
        runpy._run_module_as_main(req["module"], alter_argv=True)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        sys.excepthook(type(e), e, _strip_own_frames(e.__traceback__))
        raise SystemExit(1)
    raise SystemExit(0)


def _spawn(req, fds, ctl):
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    a = os.fork()
    if a == 0:
        os.close(r)
        try:
            b = os.fork()
        except OSError as e:
            os.write(w, ("error:fork: %s" % e).encode())
            os._exit(1)
        if b == 0:
            os.close(w)
            try:
                _become_task(req, fds, ctl)  # ends as SystemExit, unwinding to the interpreter
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:  # the task's set-up failed: B must never serve requests
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(127)
        try:
            os.setpgid(b, b)
        except OSError:
            pass
        os.write(w, str(b).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 256)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(a, 0)
    text = data.decode()
    if text.isdigit():
        return {"pid": int(text)}
    return {"error": text[len("error:"):] if text.startswith("error:") else
            "the forked process ended before it started the task"}


def serve(argv):
    ctl = socket.socket(family=socket.AF_UNIX, type=socket.SOCK_STREAM, fileno=3)
    spec = json.loads(argv[0])
    loaded, unforkable = _preload(spec.get("preload", []), set(spec.get("skip", [])))
    if unforkable is not None:
        sys.stderr.write("slipway: not preloading %s: importing it starts a thread or the CUDA "
                         "driver; the steps import it themselves\n" % unforkable)
        sys.stderr.flush()
        _send(ctl, {"ready": False, "unforkable_module": unforkable,
                    "error": "importing %s starts a thread or the CUDA driver, which a forked "
                             "task would not have" % unforkable})
        os._exit(3)
    # The imported objects stay shared with the tasks: no collection pass copies their pages.
    gc.freeze()
    _send(ctl, {"ready": True, "pid": os.getpid(), "preloaded": loaded})
    while True:
        req, fds = _receive(ctl)
        if req is None:
            os._exit(0)
        if len(fds) != 2:
            reply = {"error": "expected the task's stdout and stderr descriptors, got %d" % len(fds)}
        else:
            try:
                reply = _spawn(req, fds, ctl)
            except OSError as e:
                reply = {"error": "cannot start the task: %s" % e}
        for fd in fds:
            os.close(fd)
        _send(ctl, reply)
