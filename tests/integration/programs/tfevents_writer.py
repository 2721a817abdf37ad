"""A training script in miniature that logs as TensorFlow's summary writers do: tfevents files
(TFRecord framing, masked CRC-32C, Event protos) under LOG_DIR/train and LOG_DIR/test, with
"accuracy" as a TF2 scalar tensor in test/ and as a TF1 simple_value in train/, and "loss" in
train/. Written by hand from TensorFlow's field numbers, so no TensorFlow is needed.

    python3 tfevents_writer.py --lr 0.03 --log-dir DIR [--steps 3]
"""
import argparse
import os
import socket
import struct
import time


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def event(step, values):
    summary = b"".join(field(1, 2, v) for v in values)
    return (field(1, 1, struct.pack("<d", time.time())) + field(2, 0, varint(step))
            + field(5, 2, summary))


def simple_value(tag, v):
    return field(1, 2, tag.encode()) + field(2, 5, struct.pack("<f", v))


def tensor_scalar(tag, v):
    metadata = field(1, 2, field(1, 2, b"scalars"))
    tensor = field(1, 0, varint(1)) + field(2, 2, b"") + field(5, 2, struct.pack("<f", v))
    return field(1, 2, tag.encode()) + field(9, 2, metadata) + field(8, 2, tensor)


def write_record(f, data):
    length = struct.pack("<Q", len(data))
    f.write(length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data)))
    f.flush()


p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--log-dir", required=True)
p.add_argument("--steps", type=int, default=3)
a = p.parse_args()
name = "events.out.tfevents.%d.%s" % (int(time.time()), socket.gethostname())
files = {}
for split in ("train", "test"):
    os.makedirs(os.path.join(a.log_dir, split), exist_ok=True)
    files[split] = open(os.path.join(a.log_dir, split, name), "wb")
    write_record(files[split], field(1, 1, struct.pack("<d", time.time()))
                 + field(3, 2, b"brain.Event:2"))
for step in range(1, a.steps + 1):
    # Accuracy peaks at lr 0.05; training accuracy runs a little above test accuracy.
    acc = (1 - abs(a.lr - 0.05) * 8) * step / a.steps
    write_record(files["test"], event(step, [tensor_scalar("accuracy", acc)]))
    write_record(files["train"], event(step, [simple_value("accuracy", acc + 0.02),
                                              simple_value("loss", 1 - acc)]))
print("wrote %d steps of summaries under %s" % (a.steps, a.log_dir))
