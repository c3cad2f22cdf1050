#!/usr/bin/env python3
"""checkpoint_doc.py DOC CHECKPOINT EXPORT_JSON: read a checkpoint with nothing but the
layout table of docs/checkpoint-format.md (its offsets and types) and the parameter layout
it describes, and compare every field with `maml export`'s JSON of the same checkpoint.
Prints what it read; exits 1 naming the first disagreement. For tests/cli_export.sh."""
import json
import re
import struct
import sys
import zlib

import numpy as np

TYPES = {"u32": "<I", "u64": "<Q", "i64": "<q", "f64": "<d"}


def fail(msg):
    print(f"checkpoint_doc.py: {msg}")
    sys.exit(1)


def layout_rows(doc):
    """The rows (offset, field, type) of the table headed | offset | field | type | ..."""
    rows, inside = [], False
    for line in open(doc, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not inside:
            inside = cells[:3] == ["offset", "field", "type"]
            continue
        if not line.startswith("|"):
            break
        if set(cells[0]) <= set("- "):
            continue
        rows.append(tuple(cells[:3]))
    if not rows:
        fail(f"{doc}: no layout table")
    return rows


def value_of(expr, names):
    """an offset or a count of the table: 100+E+4H+C+8P with the names read so far"""
    py = re.sub(r"(\d)([A-Z])", r"\1*\2", expr.replace("^", "**"))
    try:
        return eval(py, {"__builtins__": {}}, dict(names))  # the doc's arithmetic only
    except Exception as e:  # noqa: BLE001 - any bad expression is the doc's fault
        fail(f"the offset or count '{expr}' does not evaluate: {e}")


def read(doc, path):
    data = open(path, "rb").read()
    fields, names, pos = {}, {}, 0
    for offset, field, typ in layout_rows(doc):
        at = value_of(offset, names)
        if at != pos:
            fail(f"{field}: the doc says offset {offset} = {at}, the fields before end at {pos}")
        m = re.fullmatch(r"(\w+)(?:\[(\w+)\])?", typ)
        if not m or (m.group(1) not in TYPES and m.group(1) != "char"):
            fail(f"{field}: unknown type {typ}")
        base, count = m.group(1), m.group(2)
        n = value_of(count, names) if count else 1
        name = re.fullmatch(r"(\w+)(?: \((\w)\))?", field)
        if base == "char":
            value = data[pos:pos + n]
            pos += n
        else:
            size = struct.calcsize(TYPES[base])
            vals = list(struct.unpack_from("<%d%s" % (n, TYPES[base][1]), data, pos))
            pos += size * n
            value = vals if count else vals[0]
        if pos > len(data):
            fail(f"{field}: ends at {pos}, past the file's {len(data)} bytes")
        fields[name.group(1)] = value
        if name.group(2):
            names[name.group(2)] = value
    if pos != len(data):
        fail(f"the table ends at {pos}, the file has {len(data)} bytes")
    if zlib.crc32(data[:-4]) != fields["crc"]:
        fail(f"crc {fields['crc']:#x} is not zlib's CRC-32 {zlib.crc32(data[:-4]):#x}")
    return fields


def theta_of_export(e):
    """theta as the doc lays it out: W_0 row-major, b_0, ..., W_H, b_H, log_std"""
    parts = []
    for layer in e["layers"]:
        parts += [np.array(layer["weight"], dtype=np.float64).ravel(order="C"),
                  np.array(layer["bias"], dtype=np.float64)]
    parts.append(np.array(e["log_std"], dtype=np.float64))
    return np.concatenate(parts)


def main(doc, path, export):
    f = read(doc, path)
    e = json.load(open(export, encoding="utf-8"))
    checks = [
        ("magic", f["magic"], b"MAMLCKPT"),
        ("version", f["version"], e["checkpoint_version"]),
        ("env", f["env"].decode(), e["family"]),
        ("oracle", f["oracle"], int(e["oracle"])),
        ("obs_dim", f["obs_dim"], e["obs_size"]),
        ("act_dim", f["act_dim"], e["act_size"]),
        ("hidden", f["hidden"], e["hidden"]),
        ("activation", ["relu", "tanh"][f["activation"]], e["activation"]),
        ("seed", f["seed"], e["seed"]),
        ("iteration", f["iteration"], e["iteration"]),
        ("n_params", f["n_params"], e["n_params"]),
    ]
    for name, got, want in checks:
        if got != want:
            fail(f"{name}: the checkpoint read by the doc holds {got!r}, the export {want!r}")
    theta = np.array(f["theta"], dtype=np.float64)
    ours = theta_of_export(e)
    if theta.shape != ours.shape or not np.array_equal(theta, ours):
        bad = np.flatnonzero(theta != ours) if theta.shape == ours.shape else []
        fail(f"theta: the doc's layout and the export differ ({theta.shape} vs {ours.shape}; "
             f"first differing index {bad[0] if len(bad) else '?'})")
    print(f"{path}: {len(f['theta'])} parameters, config of {len(f['config'])} bytes, crc "
          f"{f['crc']:#010x}: every field as the doc says, theta = the export's bit for bit")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:])
