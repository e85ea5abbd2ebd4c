#!/usr/bin/env python3
"""Append auth.log lines (Debian 12 rsyslog framing) to a file at a steady
rate, for the agent's burst benchmark. Most lines are unrelated sshd noise
(accepted keys, closed connections, failures from many sources below any
threshold); every so often a planted brute force sequence (5 failures from
one new source, interleaved with the noise) goes in. Prints, at the end,
the number of lines written and of sequences planted, as JSON."""
import argparse
import json
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rate", type=int, default=10000, help="lines per second")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--attack-every", type=int, default=2000,
                    help="start a planted brute force every N lines")
    args = ap.parse_args()

    fd = os.open(args.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    tick = 0.01  # write in 10 ms slices
    per_tick = max(1, args.rate * tick)
    start = time.monotonic()
    written = 0
    planted = 0
    active = []  # [ip, failures left]
    seq = 0
    carry = 0.0
    while True:
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        carry += per_tick
        n = int(carry)
        carry -= n
        out = []
        for _ in range(n):
            seq += 1
            t = time.time()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
                ".%06d+00:00" % int((t % 1) * 1e6)
            if seq % args.attack_every == 0:
                planted += 1
                active.append(["10.%d.%d.%d" % (200 + planted // 65536 % 50,
                                                planted // 256 % 256, planted % 256), 5])
            if active and seq % 7 == 0:
                a = active[0]
                msg = "Failed password for root from %s port %d ssh2" % (a[0], 40000 + seq % 20000)
                a[1] -= 1
                if a[1] == 0:
                    active.pop(0)
            elif seq % 3 == 0:
                msg = "Accepted publickey for deploy from 192.0.2.%d port %d ssh2: ED25519 SHA256:x" % (
                    seq % 200 + 1, 40000 + seq % 20000)
            elif seq % 3 == 1:
                msg = "Connection closed by 198.51.100.%d port %d [preauth]" % (seq % 250 + 1, 40000 + seq % 20000)
            else:
                # One failure each from a rotating set of 100000 addresses:
                # never 5 in the window from one of them.
                msg = "Failed password for invalid user u%d from 100.%d.%d.%d port %d ssh2" % (
                    seq, 64 + seq // 65536 % 60, seq // 256 % 256, seq % 256, 40000 + seq % 20000)
            out.append("%s web1 sshd[%d]: %s\n" % (stamp, 1000 + seq % 30000, msg))
        if out:
            data = "".join(out).encode()
            os.write(fd, data)
            written += len(out)
        # Sleep to the next slice.
        nxt = start + (int((time.monotonic() - start) / tick) + 1) * tick
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    # Finish the planted sequences still open, so every one is complete.
    out = []
    for a in active:
        for _ in range(a[1]):
            seq += 1
            out.append("%s web1 sshd[%d]: Failed password for root from %s port %d ssh2\n" % (
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+00:00",
                1000 + seq % 30000, a[0], 40000 + seq % 20000))
    if out:
        os.write(fd, "".join(out).encode())
        written += len(out)
    os.close(fd)
    print(json.dumps({"lines": written, "planted": planted,
                      "seconds": round(time.monotonic() - start, 2)}))


if __name__ == "__main__":
    main()
