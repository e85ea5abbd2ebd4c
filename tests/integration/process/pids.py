"""Process tree helpers for the process sweep's integration test, read
from /proc:
  pids.py descendants PID   the pids below PID, one per line
  pids.py children PID      the direct children of PID
  pids.py runner PID        the nearest ancestor of PID that is a
                            `meson test` process (nothing when none):
                            other tests run under it at the same time."""
import os
import sys


def table():
    parent, cmd = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd[int(d)] = f.read().replace(b"\0", b" ")
        except OSError:
            continue
        parent[int(d)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    return parent, cmd


def main():
    what, pid = sys.argv[1], int(sys.argv[2])
    parent, cmd = table()
    if what == "children":
        for p, pp in parent.items():
            if pp == pid:
                print(p)
    elif what == "descendants":
        for p in parent:
            q = p
            while q in parent and q != pid and q > 1:
                q = parent[q]
            if q == pid and p != pid:
                print(p)
    elif what == "runner":
        q = parent.get(pid)
        while q and q > 1:
            if b"meson" in cmd.get(q, b"") and b" test" in cmd.get(q, b""):
                print(q)
                return
            q = parent.get(q)


main()
