"""A robustness soak of `slipway serve` on loopback: random bytes, truncated bodies, huge headers,
slow clients and many idle connections, for a bounded time, while a well-behaved client keeps
sending valid requests. Every valid request must be answered correctly, and the daemon's memory
must stay flat.

    serve_soak.py PORT PID SECONDS
"""
import json
import os
import random
import socket
import sys
import threading
import time

import requests

port, pid, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
stop = threading.Event()
valid = {"ok": 0, "bad": []}
abuse = {"sent": 0}
GOOD = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]}).encode()


def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(5)
    return s


def quietly(f):
    def run():
        rng = random.Random(threading.get_ident())
        while not stop.is_set():
            try:
                f(rng)
                abuse["sent"] += 1
            except OSError:
                pass  # the daemon closing on us is the point
    return run


def random_bytes(rng):
    with connect() as s:
        s.sendall(os.urandom(rng.randint(1, 4096)))
        try:
            s.recv(4096)
        except OSError:
            pass


def truncated_body(rng):
    with connect() as s:
        body = GOOD[: rng.randint(1, len(GOOD) - 1)]
        s.sendall(b"POST /v1/models/iris:predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(GOOD) + body)
        # then hang up without the rest


def bad_json(rng):
    with connect() as s:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
        s.sendall(b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        s.recv(4096)


def huge_header(rng):
    with connect() as s:
        s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * rng.randint(20000, 200000) + b"\r\n\r\n")
        s.recv(4096)


def slow_client(rng):
    with connect() as s:
        request = b"POST /v1/models/iris:predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(GOOD) + GOOD
        for b in request[: rng.randint(5, 40)]:
            if stop.is_set():
                return
            s.send(bytes([b]))
            time.sleep(0.2)


idle = []


def idle_connections():
    while not stop.is_set():
        try:
            if len(idle) < 300:
                idle.append(connect())
            else:
                time.sleep(0.1)
        except OSError:
            time.sleep(0.1)


def good_client():
    session = requests.Session()
    while not stop.is_set():
        try:
            r = session.post(f"http://127.0.0.1:{port}/v1/models/iris:predict", data=GOOD, timeout=10)
            if r.status_code == 200 and r.json() == {"predictions": [0, 2]}:
                valid["ok"] += 1
            else:
                valid["bad"].append(f"{r.status_code} {r.text[:200]}")
        except Exception as e:  # noqa: BLE001 -- any failure of a valid request is the finding
            valid["bad"].append(repr(e))
        time.sleep(0.02)


rss_before = rss_kib()
threads = [threading.Thread(target=quietly(f)) for f in (random_bytes, truncated_body, bad_json, huge_header, slow_client, slow_client)]
threads += [threading.Thread(target=idle_connections), threading.Thread(target=good_client)]
for t in threads:
    t.start()
samples = []
t0 = time.time()
while time.time() - t0 < seconds:
    time.sleep(1)
    samples.append(rss_kib())
stop.set()
for t in threads:
    t.join()
for s in idle:
    s.close()
time.sleep(0.5)
rss_after = rss_kib()
print(f"valid requests answered: {valid['ok']}, failed: {len(valid['bad'])}; abusive connections: {abuse['sent']}; "
      f"idle connections held: {len(idle)}; RSS {rss_before} KiB before, {max(samples)} KiB peak, {rss_after} KiB after")
if valid["bad"]:
    sys.exit("FAIL: valid requests failed during the soak: " + "; ".join(valid["bad"][:5]))
if valid["ok"] < 50:
    sys.exit(f"FAIL: only {valid['ok']} valid requests were answered")
# Flat: the second half of the soak grows the resident set by less than 16 MiB.
half = samples[len(samples) // 2:]
if half and max(half) - half[0] > 16 * 1024:
    sys.exit(f"FAIL: memory grew from {half[0]} to {max(half)} KiB in the second half of the soak")
print("ok: the daemon kept answering valid requests and its memory stayed flat")
