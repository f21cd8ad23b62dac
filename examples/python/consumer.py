"""A Python consumer of a secretcat descriptor, inherited or received.

    secretcat -i key.txt secret.age -- python3 consumer.py
    secretcat open --socket /tmp/s -i key.txt secret.age &
    python3 consumer.py /tmp/s
"""
import mmap
import os
import socket
import sys


def received_fd(path):
    """Take the first descriptor from secretcat open --socket PATH."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        line, fds, _, _ = socket.recv_fds(s, 4096, 4)
        return fds[0]


fd = received_fd(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ["SECRETCAT_FD"])
size = os.fstat(fd).st_size
if size:
    with mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ) as m:
        sys.stdout.buffer.write(m[:])  # a real program would use it in place
