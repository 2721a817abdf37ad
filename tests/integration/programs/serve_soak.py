"""A robustness soak of `slipway serve` on loopback: random bytes, truncated bodies, huge headers,
slow clients and many idle connections, for a bounded time, while a well-behaved client keeps
sending valid requests, and another sends well-formed requests the model cannot take (wrong
widths, strings, empty batches). Every valid request must be answered correctly, every request
the model cannot take must get a 4xx (never a 5xx), and the memory of the daemon and its model
worker processes must stay flat.

    serve_soak.py PORT PID SECONDS [MODEL [EXPECTED_PREDICTIONS_JSON]]

MODEL defaults to iris (the trainer's MLP) and its predictions for the two rows sent to [0, 2].
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
model = sys.argv[4] if len(sys.argv) > 4 else "iris"
expected = json.loads(sys.argv[5]) if len(sys.argv) > 5 else [0, 2]
stop = threading.Event()
valid = {"ok": 0, "bad": []}
refused = {"ok": 0, "bad": []}
abuse = {"sent": 0}
GOOD = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 3.4, 5.4, 2.3]]}).encode()


def rss_kib_of(p):
    try:
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass  # the process went between listing and reading
    return 0


def children(p):
    found = []
    for task in os.listdir(f"/proc/{p}/task"):
        try:
            found += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except OSError:
            pass
    return found


def rss_kib():
    """The daemon's resident set and its model workers' together."""
    return rss_kib_of(pid) + sum(rss_kib_of(c) for c in children(pid))


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
        s.sendall(f"POST /v1/models/{model}:predict HTTP/1.1\r\nHost: x\r\nContent-Length: {len(GOOD)}\r\n\r\n".encode() + body)
        # then hang up without the rest


def bad_json(rng):
    with connect() as s:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
        s.sendall(f"POST /v2/models/{model}/infer HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        s.recv(4096)


def huge_header(rng):
    with connect() as s:
        s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * rng.randint(20000, 200000) + b"\r\n\r\n")
        s.recv(4096)


def slow_client(rng):
    with connect() as s:
        request = f"POST /v1/models/{model}:predict HTTP/1.1\r\nHost: x\r\nContent-Length: {len(GOOD)}\r\n\r\n".encode() + GOOD
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
            r = session.post(f"http://127.0.0.1:{port}/v1/models/{model}:predict", data=GOOD, timeout=10)
            if r.status_code == 200 and r.json() == {"predictions": expected}:
                valid["ok"] += 1
            else:
                valid["bad"].append(f"{r.status_code} {r.text[:200]}")
        except Exception as e:  # noqa: BLE001 -- any failure of a valid request is the finding
            valid["bad"].append(repr(e))
        time.sleep(0.02)


# Well-formed requests the model cannot take: each must be refused with a 4xx and a reason.
UNFIT = [
    ("v1", {"instances": [[1.0, 2.0, 3.0]]}),
    ("v1", {"instances": [["a", "b", "c", "d"]]}),
    ("v1", {"instances": [[1.0, 2.0, 3.0, 4.0], [1.0]]}),
    ("v1", {"instances": "not a list"}),
    ("v2", {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}),
    ("v2", {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]}),
    ("v2", {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3]}]}),
    ("v2", {"inputs": []}),
]


def unfit_client():
    session = requests.Session()
    rng = random.Random(7)
    while not stop.is_set():
        protocol, body = rng.choice(UNFIT)
        url = f"http://127.0.0.1:{port}/v1/models/{model}:predict" if protocol == "v1" else \
            f"http://127.0.0.1:{port}/v2/models/{model}/infer"
        try:
            r = session.post(url, json=body, timeout=10)
            if 400 <= r.status_code < 500 and r.json().get("error"):
                refused["ok"] += 1
            else:
                refused["bad"].append(f"{json.dumps(body)} -> {r.status_code} {r.text[:200]}")
        except Exception as e:  # noqa: BLE001 -- any failure here is the finding
            refused["bad"].append(f"{json.dumps(body)} -> {e!r}")
        time.sleep(0.01)


rss_before = rss_kib()
threads = [threading.Thread(target=quietly(f)) for f in (random_bytes, truncated_body, bad_json, huge_header, slow_client, slow_client)]
threads += [threading.Thread(target=idle_connections), threading.Thread(target=good_client),
            threading.Thread(target=unfit_client)]
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
print(f"valid requests answered: {valid['ok']}, failed: {len(valid['bad'])}; "
      f"unfit requests refused with a reason: {refused['ok']}, otherwise: {len(refused['bad'])}; abusive connections: {abuse['sent']}; "
      f"idle connections held: {len(idle)}; RSS {rss_before} KiB before, {max(samples)} KiB peak, {rss_after} KiB after")
if valid["bad"]:
    sys.exit("FAIL: valid requests failed during the soak: " + "; ".join(valid["bad"][:5]))
if refused["bad"]:
    sys.exit("FAIL: requests the model cannot take were not refused with a 4xx and a reason: " +
             "; ".join(refused["bad"][:5]))
if valid["ok"] < 50:
    sys.exit(f"FAIL: only {valid['ok']} valid requests were answered")
# Flat: the second half of the soak grows the resident set by less than 16 MiB.
half = samples[len(samples) // 2:]
if half and max(half) - half[0] > 16 * 1024:
    sys.exit(f"FAIL: memory grew from {half[0]} to {max(half)} KiB in the second half of the soak")
print("ok: the daemon kept answering valid requests, refused unfit ones with a reason, and its memory stayed flat")
