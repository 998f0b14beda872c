#!/usr/bin/env python3
"""Every lesson in lessons/ validates, runs headless and is graded.

usage: check-lessons.py MAILLAB_CLI SOURCE_DIR MODE

MODE graded: for every lessons/NN-*.yaml (lessons added later are picked up
   without touching this file):
   1. `maillab-cli lesson check` accepts it.
   2. It has at least 3 questions and at least 1 check (issue 5).
   3. It has an answer key, tests/lessons/answers/NN.yaml. A lesson without
      one FAILS: a lesson cannot land without a key that proves it can be
      answered.
   4. `lesson run --answers KEY --results R.json` scores every point, with
      every question answered and every check passed; R.csv has one row per
      question and check.
   5. A wrong key (every answer replaced) scores less.
MODE list: `maillab-cli lesson list` shows every lesson's id, with its
   title, and exits 0.
MODE bad: every tests/data/lessons-bad/*.yaml is refused by `lesson check`
   with exit 1 and a FILE:LINE:COLUMN message; a file with a comment line
   "# expect: LINE:COLUMN: TEXT" gets exactly that place and a message
   containing TEXT.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def cli(maillab, *args):
    return subprocess.run([maillab, *args], capture_output=True, text=True,
                          errors="replace", timeout=300)


def lesson_files(source):
    folder = os.path.join(source, "lessons")
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.endswith(".yaml") and re.match(r"^\d+-", f))


def read_key(path):
    """The answer file format of maillab-cli lesson run --answers."""
    key = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line == "---":
                continue
            ident, _, value = line.partition(":")
            value = value.strip()
            if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
                value = value[1:-1]
            key[ident.strip()] = value
    return key


def graded(maillab, source):
    files = lesson_files(source)
    if not files:
        fail("no lessons found")
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            lesson_id = os.path.basename(path)[:-5]
            number = lesson_id.split("-")[0]
            res = cli(maillab, "lesson", "check", path)
            if res.returncode != 0:
                fail(f"{lesson_id}: lesson check: {res.stderr.strip()}")
                continue
            m = re.search(r"\((\d+) steps, (\d+) questions, (\d+) checks\)", res.stdout)
            if not m:
                fail(f"{lesson_id}: lesson check printed no counts: {res.stdout!r}")
                continue
            n_questions, n_checks = int(m.group(2)), int(m.group(3))
            if n_questions < 3 or n_checks < 1:
                fail(f"{lesson_id}: {n_questions} questions and {n_checks} checks; "
                     "a lesson has at least 3 questions and 1 check")
            key_path = os.path.join(source, "tests", "lessons", "answers", number + ".yaml")
            if not os.path.exists(key_path):
                fail(f"{lesson_id}: no answer key {os.path.relpath(key_path, source)}")
                continue
            results = os.path.join(tmp, lesson_id + ".json")
            res = cli(maillab, "lesson", "run", path, "--answers", key_path,
                      "--results", results)
            if res.returncode != 0:
                fail(f"{lesson_id}: lesson run exited {res.returncode}: {res.stderr.strip()}")
                continue
            failed_before = len(failures)
            with open(results, encoding="utf-8") as f:
                data = json.load(f)
            if data["score"] != data["possible"] or data["possible"] == 0:
                wrong = [r["id"] for r in data["rows"] if not r["correct"]]
                fail(f"{lesson_id}: the key scores {data['score']} of {data['possible']}; "
                     f"wrong: {', '.join(wrong)}")
            rows = len(data["rows"])
            if rows != n_questions + n_checks:
                fail(f"{lesson_id}: {rows} result rows for {n_questions} questions "
                     f"and {n_checks} checks")
            if len(failures) == failed_before:
                print(f"ok {lesson_id}: {data['score']} of {data['possible']} points")

            csv_path = os.path.join(tmp, lesson_id + ".csv")
            res = cli(maillab, "lesson", "run", path, "--answers", key_path,
                      "--results", csv_path)
            with open(csv_path, newline="", encoding="utf-8") as f:
                table = list(csv.DictReader(f))
            if len(table) != rows or any(r["correct"] != "true" for r in table):
                fail(f"{lesson_id}: the CSV results disagree with the JSON ones")

            wrong_key = os.path.join(tmp, number + "-wrong.yaml")
            with open(wrong_key, "w", encoding="utf-8") as f:
                for ident in read_key(key_path):
                    f.write(f"{ident}: not-the-answer-42\n")
            wrong_results = os.path.join(tmp, lesson_id + "-wrong.json")
            res = cli(maillab, "lesson", "run", path, "--answers", wrong_key,
                      "--results", wrong_results)
            with open(wrong_results, encoding="utf-8") as f:
                wrong = json.load(f)
            if n_questions > 0 and wrong["score"] >= data["score"]:
                fail(f"{lesson_id}: a wrong key scores {wrong['score']}, "
                     f"not less than {data['score']}")


def listed(maillab, source):
    res = cli(maillab, "lesson", "list")
    if res.returncode != 0:
        fail(f"lesson list exited {res.returncode}: {res.stderr.strip()}")
    ids = {line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip()}
    for path in lesson_files(source):
        lesson_id = os.path.basename(path)[:-5]
        if lesson_id not in ids:
            fail(f"lesson list does not show {lesson_id}")
    print(f"lesson list shows {len(ids)} lessons")


def bad(maillab, source):
    folder = os.path.join(source, "tests", "data", "lessons-bad")
    names = sorted(f for f in os.listdir(folder) if f.endswith(".yaml"))
    if len(names) < 15:
        fail(f"only {len(names)} malformed lessons")
    for name in names:
        path = os.path.join(folder, name)
        res = cli(maillab, "lesson", "check", path)
        first = res.stderr.splitlines()[0] if res.stderr else ""
        if res.returncode != 1:
            fail(f"{name}: lesson check exited {res.returncode}, not 1")
            continue
        m = re.match(re.escape(path) + r":(\d+):(\d+): \S", first)
        if not m:
            fail(f"{name}: no FILE:LINE:COLUMN message: {first!r}")
            continue
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        expect = re.search(r"^# expect: (\d+):(\d+): (.*)$", text, re.M)
        if expect:
            where = (expect.group(1), expect.group(2))
            if (m.group(1), m.group(2)) != where or expect.group(3).strip() not in first:
                fail(f"{name}: expected {':'.join(where)}: {expect.group(3)!r}, got {first!r}")
                continue
        print(f"ok {name}: {first[len(path) + 1:]}")


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("graded", "list", "bad"):
        print(__doc__)
        return 2
    maillab, source, mode = sys.argv[1:]
    {"graded": graded, "list": listed, "bad": bad}[mode](maillab, source)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
