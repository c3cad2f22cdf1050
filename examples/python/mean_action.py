#!/usr/bin/env python3
"""The mean action of a policy that `maml export` wrote, for one observation.

usage: mean_action.py EXPORT [X1,X2,...]

  EXPORT  a JSON file (maml export CKPT --format json --out policy.json) or the
          folder of .npy files (maml export CKPT --format npy --out policy)
  X       the observation: obs_size comma-separated numbers (default: zeros)

Prints the mean action, one number a line (%.17g), then the standard deviation of
each action on stderr. Needs numpy only (Debian: python3-numpy).

As a module: load_policy(path) reads either format into a dict (the export's fields,
each layer's "weight" an (out, in) array and "bias" an (out,) array, "log_std" an
(act_size,) array); mean_action(policy, obs) and sample_action(policy, obs, rng) act.
"""
import json
import os
import sys

import numpy as np

EXPORT_FORMAT = "maml-policy"
EXPORT_VERSION = 1


class ExportError(Exception):
    """An export that cannot be read; the message names the file."""


def _load_npy(folder, name):
    path = os.path.join(folder, name)
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ExportError(f"{path}: {e}") from e
    if a.dtype != np.float64:
        raise ExportError(f"{path}: dtype {a.dtype}, expected float64")
    return a


def _check(policy, where):
    if policy.get("format") != EXPORT_FORMAT or policy.get("version") != EXPORT_VERSION:
        raise ExportError(
            f"{where}: not a {EXPORT_FORMAT} export of version {EXPORT_VERSION} "
            f"(format {policy.get('format')!r}, version {policy.get('version')!r})")
    width = policy["obs_size"]
    for layer in policy["layers"]:
        shape = (layer["out"], layer["in"])
        if layer["in"] != width or layer["weight"].shape != shape:
            raise ExportError(f"{where}: {layer['name']}: weight of shape "
                              f"{layer['weight'].shape}, expected {shape} after width {width}")
        if layer["bias"].shape != (layer["out"],):
            raise ExportError(f"{where}: {layer['name']}: bias of shape {layer['bias'].shape}")
        if layer["activation"] not in ("relu", "tanh", "linear"):
            raise ExportError(f"{where}: {layer['name']}: activation {layer['activation']!r}")
        width = layer["out"]
    if width != policy["act_size"] or policy["log_std"].shape != (width,):
        raise ExportError(f"{where}: the last layer gives {width} numbers, "
                          f"act_size is {policy['act_size']}")


def load_policy(path):
    """The export at path (a JSON file, or a folder holding meta.json and .npy files)."""
    if os.path.isdir(path):
        where = os.path.join(path, "meta.json")
        arrays = lambda name: _load_npy(path, name)
    else:
        where = path
        arrays = lambda numbers: np.array(numbers, dtype=np.float64)
    try:
        with open(where, encoding="utf-8") as f:
            policy = json.load(f)
    except (OSError, ValueError) as e:
        raise ExportError(f"{where}: {e}") from e
    try:
        for layer in policy["layers"]:
            layer["weight"] = arrays(layer["weight"])
            layer["bias"] = arrays(layer["bias"])
        policy["log_std"] = arrays(policy["log_std"])
        _check(policy, where)
    except (KeyError, TypeError) as e:
        raise ExportError(f"{where}: a field is missing or malformed: {e}") from e
    return policy


def mean_action(policy, obs):
    """mean = W_L(...act(W_0 obs + b_0)...) + b_L: the hidden layers' activation, the output
    layer linear."""
    h = np.asarray(obs, dtype=np.float64)
    if h.shape != (policy["obs_size"],):
        raise ValueError(f"observation of shape {h.shape}, expected ({policy['obs_size']},)")
    for layer in policy["layers"]:
        h = layer["weight"] @ h + layer["bias"]
        if layer["activation"] == "relu":
            h = np.maximum(h, 0.0)
        elif layer["activation"] == "tanh":
            h = np.tanh(h)
    return h


def sample_action(policy, obs, rng):
    """An action drawn as the policy acts: mean + exp(log_std) * N(0, I)."""
    mean = mean_action(policy, obs)
    return mean + np.exp(policy["log_std"]) * rng.standard_normal(mean.shape)


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if len(argv) == 2 else sys.stderr)
        return 0 if len(argv) == 2 else 2
    try:
        policy = load_policy(argv[1])
    except ExportError as e:
        print(f"mean_action.py: {e}", file=sys.stderr)
        return 1
    n = policy["obs_size"]
    if len(argv) == 3:
        try:
            obs = [float(x) for x in argv[2].split(",")]
        except ValueError:
            obs = []
        if len(obs) != n:
            print(f"mean_action.py: '{argv[2]}': expected {n} comma-separated numbers "
                  f"(the observation of {policy['family']})", file=sys.stderr)
            return 2
    else:
        obs = [0.0] * n
    for x in mean_action(policy, obs):
        print("%.17g" % x)
    print("std " + " ".join("%.6g" % s for s in np.exp(policy["log_std"])), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
