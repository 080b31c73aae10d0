#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Totals over meson's testlog.json files, and over checks run outside meson given as
NAME=EXIT_STATUS (0 pass, 77 skip, else fail): prints one line per failing test and, last,
`N passed, N failed, N skipped`. Exits 1 if anything failed or nothing ran."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    if "=" in path:
        name, status = path.split("=", 1)
        if status == "0":
            passed += 1
        elif status == "77":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {name} (exit status {status})")
        continue
    try:
        with open(path) as f:
            lines = f.readlines()
    except FileNotFoundError:
        print(f"missing test log: {path}")
        failed += 1
        continue
    for line in lines:
        entry = json.loads(line)
        result = entry.get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {entry.get('name')} ({result}) in {path}")

print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
