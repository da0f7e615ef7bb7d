#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Round a float32 .npy to bf16 (round to nearest even) and write it as uint16 bit patterns.

numpy has no bf16 dtype; embzip reads the result with `--dtype bf16 --quantize lossless`.
Usage: scripts/to_bf16.py IN_f32.npy OUT_bf16.npy
"""
import os
import sys

import numpy as np


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    x = np.load(src)
    if x.dtype != np.float32:
        print(f"to_bf16: {src}: expected float32, got {x.dtype}", file=sys.stderr)
        return 1
    bits = x.view(np.uint32).astype(np.uint64)
    nan = (bits & 0x7F800000) == 0x7F800000
    nan &= (bits & 0x007FFFFF) != 0
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    tmp = dst + ".tmp.npy"
    np.save(tmp, rounded)
    os.replace(tmp, dst)
    print(f"to_bf16: wrote {dst} {rounded.shape} uint16 (bf16 bits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
