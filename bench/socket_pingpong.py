"""The cost of a message's round trip between two processes over a Unix socket pair, beyond the
work done at the other end: the floor under slipway's hop to a Python model worker (the kernel
waking each process in turn; on a VM, the host waking an idle virtual CPU).

    socket_pingpong.py WORK_MICROSECONDS   prints the mean microseconds beyond the work
"""
import os
import socket
import sys
import time

work = float(sys.argv[1]) * 1e-6
parent, child = socket.socketpair()
if os.fork() == 0:
    parent.close()
    while message := child.recv(256):
        end = time.perf_counter() + work
        while time.perf_counter() < end:
            pass  # the model's time, busy as a model is
        child.sendall(message)
    os._exit(0)
child.close()
message = b"x" * 100
for _ in range(200):  # warm up
    parent.sendall(message)
    parent.recv(256)
n = 3000
start = time.perf_counter()
for _ in range(n):
    parent.sendall(message)
    parent.recv(256)
print(round(((time.perf_counter() - start) / n - work) * 1e6))
parent.close()
os.wait()
