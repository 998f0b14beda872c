#!/usr/bin/env python3
"""Golden transcripts: a lesson run with its own seed must print exactly the
transcript kept in tests/golden/LESSON.txt (frames included), as curl's
tests/data keep the exact bytes a client sent. Any change to what goes on
the wire or into the trace shows up here, line by line.

usage: check-golden.py MAILLAB_CLI LESSON_FILE GOLDEN_FILE
       ML_UPDATE_GOLDEN=1 check-golden.py …   writes the golden file instead
"""
import difflib
import os
import subprocess
import sys

cli, lesson, golden = sys.argv[1:4]
res = subprocess.run([cli, "run", lesson, "--frames"], capture_output=True, text=True)
if res.returncode != 0:
    sys.exit(f"maillab-cli run {lesson} exited {res.returncode}: {res.stderr}")
if os.environ.get("ML_UPDATE_GOLDEN"):
    with open(golden, "w", encoding="utf-8") as f:
        f.write(res.stdout)
    print(f"wrote {golden}")
    sys.exit(0)
with open(golden, encoding="utf-8") as f:
    want = f.read()
if res.stdout != want:
    diff = difflib.unified_diff(want.splitlines(), res.stdout.splitlines(),
                                "golden", "this run", lineterm="", n=2)
    print("\n".join(list(diff)[:80]))
    sys.exit(f"{lesson}: the transcript differs from {golden} "
             "(if the change is intended: ML_UPDATE_GOLDEN=1 meson test -C build --suite golden)")
print(f"ok: {len(want.splitlines())} lines as kept")
