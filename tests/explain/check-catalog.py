#!/usr/bin/env python3
"""Every explanation key maillab emits has a teaching note.

usage: check-catalog.py MAILLAB_CLI EXPLAIN_LOOKUP SOURCE_ROOT

1. The catalog lessons/explain/ loads with the real loader (explain-lookup),
   so a broken file fails here with its FILE:LINE:COLUMN message.
2. Every lesson lessons/*.yaml is run with `maillab-cli run LESSON --quiet
   --json FILE`; every explain_key an event carries must be found by
   ml_explain_catalog_find() (exactly, or by its fallback rule).
3. Every key written out whole as a string literal in sim/**/*.c
   ("smtp.queue.next-mx") must be found too, so a key no lesson reaches
   yet is not forgotten. Keys built at run time ("smtp.reply.%03u") are
   covered by the lessons and by their class fallbacks.

Failures list each missing key with where it came from. Keys that exist
only through a fallback are listed for information, as are notes no
lesson used.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

# Areas whose keys the static scan recognises; the first part of every key.
AREAS = ("smtp", "lmtp", "pop3", "imap", "tcp", "udp", "net", "dns",
         "store", "mua", "device", "lesson", "tls", "capture")
LITERAL = re.compile(r'"((?:%s)(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+)"' % "|".join(AREAS))


def lookup(tool, catalog_dir, keys):
    """{key: found key or ''} through the C loader's find()."""
    res = subprocess.run([tool, catalog_dir], input="".join(k + "\n" for k in keys),
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("FAIL: the catalog does not load:\n" + res.stderr.strip())
    found = {}
    for line in res.stdout.splitlines():
        key, _, hit = line.partition("\t")
        found[key] = hit
    return found


def list_notes(tool, catalog_dir):
    res = subprocess.run([tool, "--list", catalog_dir], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("FAIL: the catalog does not load:\n" + res.stderr.strip())
    return dict(line.split("\t", 1) for line in res.stdout.splitlines())


def run_lessons(cli, lessons_dir, outdir):
    """{key: set of lessons whose events carry it}, and events without a key."""
    keys, unkeyed = {}, {}
    lessons = sorted(glob.glob(os.path.join(lessons_dir, "*.yaml")))
    if not lessons:
        sys.exit(f"FAIL: no lessons in {lessons_dir}")
    for lesson in lessons:
        name = os.path.basename(lesson)[:-len(".yaml")]
        js = os.path.join(outdir, name + ".jsonl")
        res = subprocess.run([cli, "run", lesson, "--quiet", "--json", js],
                             capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"FAIL: maillab-cli run {name} exited {res.returncode}:\n"
                     f"{res.stdout}{res.stderr}")
        n = 0
        with open(js, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                event = json.loads(line)
                n += 1
                key = event.get("explain_key")
                if key:
                    keys.setdefault(key, set()).add(name)
                else:
                    unkeyed.setdefault(event.get("kind", "?"), set()).add(name)
        print(f"# {name}: {n} events")
    return keys, unkeyed


def scan_sources(sim_dir):
    """{key: set of "file:line"} for every whole key written as a literal."""
    keys = {}
    for path in sorted(glob.glob(os.path.join(sim_dir, "**", "*.c"), recursive=True)):
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                for m in LITERAL.finditer(text):
                    rel = os.path.relpath(path, os.path.dirname(sim_dir))
                    keys.setdefault(m.group(1), set()).add(f"{rel}:{number}")
    return keys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cli, tool, root = sys.argv[1:]
    catalog_dir = os.path.join(root, "lessons", "explain")
    notes = list_notes(tool, catalog_dir)
    print(f"# catalog: {len(notes)} notes")

    with tempfile.TemporaryDirectory() as tmp:
        emitted, unkeyed = run_lessons(cli, os.path.join(root, "lessons"), tmp)
    literal = scan_sources(os.path.join(root, "sim"))

    found = lookup(tool, catalog_dir, sorted(set(emitted) | set(literal)))
    failures = 0
    for key in sorted(emitted):
        if not found.get(key):
            failures += 1
            print(f"FAIL: {key}: no note (emitted in {', '.join(sorted(emitted[key]))})")
    for key in sorted(literal):
        if key not in emitted and not found.get(key):
            failures += 1
            print(f"FAIL: {key}: no note (written in {', '.join(sorted(literal[key]))})")

    for key in sorted(set(emitted) | set(literal)):
        hit = found.get(key)
        if hit and hit != key:
            print(f"# {key}: shown with the more general note {hit}")
    for kind in sorted(unkeyed):
        print(f"# note: {kind} events without an explain_key "
              f"(in {', '.join(sorted(unkeyed[kind]))})")
    used = {found[k] for k in found if found[k]}
    unused = sorted(k for k in notes if k not in used)
    print(f"# {len(used)} notes used by lessons and sources, {len(unused)} not (yet)")

    print(f"{len(emitted)} keys emitted by the lessons, {len(literal)} written in sim/, "
          f"{failures} without a note")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
