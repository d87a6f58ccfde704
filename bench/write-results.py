#!/usr/bin/env python3
"""write-results.py RESULTS MARKER TABLE_FILE [top] - put TABLE_FILE's table into bench/results.md.

Each bench script keeps its own block between "<!-- MARKER begin -->" and "<!-- MARKER end -->",
so a rerun replaces its last table and the tables of other scripts and sizes stay. A new block
goes at the end, or right under the title with "top" (make bench's summary). The file is replaced
atomically (a temporary file and a rename).
"""
import os
import sys


def main():
    path, marker, table_file = sys.argv[1:4]
    top = sys.argv[4:5] == ["top"]
    with open(table_file) as f:
        table = f.read()
    begin, end = "<!-- %s begin -->" % marker, "<!-- %s end -->" % marker
    block = begin + "\n" + table.rstrip("\n") + "\n" + end + "\n"
    old = "# make bench results\n\n"
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    if begin in old and end in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end):].lstrip("\n")
    elif top and old.startswith("# make bench results\n\n"):
        title = "# make bench results\n\n"
        new = title + block + "\n" + old[len(title):].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    with open(path + ".tmp", "w") as f:
        f.write(new)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
