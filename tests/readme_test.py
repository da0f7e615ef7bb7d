#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs the ```sh command blocks of a README as written, so the documented commands keep working.

Usage: tests/readme_test.py README.md BUILD_DIR
Each block runs in bash (set -e) from a scratch folder that mirrors the repository (a symlink per
top-level entry; build/release and build/debug point at BUILD_DIR), so outputs never land in the
source tree. A block is skipped when the line before its fence is `<!-- readme-test: skip (why) -->`
(usage synopses with [optional] arguments, the two front-door scripts, cluster commands, long runs).
Lines starting with `cmake ` are not run: the test checks the commands against the build under
test, and reconfiguring it (to Release, say) would change what the other tests run.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def blocks(path):
    lines = open(path).read().splitlines()
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            skip = start > 0 and re.match(r"\s*<!--\s*readme-test:\s*skip", lines[start - 1])
            body, k = [], start + 1
            while k < j:
                if lines[k].lstrip().startswith("cmake "):
                    while lines[k].rstrip().endswith("\\") and k + 1 < j:
                        k += 1
                else:
                    body.append(lines[k])
                k += 1
            out.append((start + 1, "\n".join(body), bool(skip)))
            i = j
        i += 1
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    readme, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    root = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(root)
    rel = os.path.relpath(readme, root)
    found = blocks(readme)
    if not found:
        print(f"readme-test: {rel}: no ```sh blocks")
        return 0
    scratch = tempfile.mkdtemp(prefix="embzip-readme-")
    failed = 0
    try:
        for name in os.listdir(root):
            if name not in ("build", "out") and not name.startswith(".git"):
                os.symlink(os.path.join(root, name), os.path.join(scratch, name))
        os.makedirs(os.path.join(scratch, "build"))
        for kind in ("release", "debug"):
            os.symlink(build, os.path.join(scratch, "build", kind))
        for line, text, skip in found:
            if skip:
                print(f"readme-test: {rel}:{line}: skipped (marked)")
                continue
            start = time.time()
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=scratch,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            took = time.time() - start
            if r.returncode != 0:
                failed += 1
                print(f"readme-test: {rel}:{line}: FAILED (exit {r.returncode}, {took:.0f} s)\n{text}\n--- output:\n{r.stdout[-4000:]}")
            else:
                print(f"readme-test: {rel}:{line}: ok ({took:.0f} s)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"readme-test: {rel}: {len(found)} blocks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
