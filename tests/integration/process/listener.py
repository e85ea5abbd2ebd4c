"""A TCP listener for the process sweep's integration test: it binds
127.0.0.1:PORT (0 picks a free port), writes the port it got to PORTFILE,
accepts every connection and keeps it open, reading and dropping what the
other side sends, and appends one line per accepted connection to
PORTFILE.accepted. It stands in for an attacker's shell listener and for a
mining pool."""
import os
import select
import socket
import sys

port, portfile = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
conns = []
while True:
    ready, _, _ = select.select([srv] + conns, [], [], 600)
    if not ready:
        break
    for s in ready:
        if s is srv:
            c, addr = srv.accept()
            conns.append(c)
            with open(portfile + ".accepted", "a") as f:
                f.write("%s:%d\n" % addr)
        else:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                conns.remove(s)
                s.close()
