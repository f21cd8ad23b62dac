/*
 * recv(2) and its kin, for the secret heap only: a read into OpenSSL's
 * memory (DTLS, kernel TLS, a program's own buffers from OPENSSL_malloc)
 * while a fork freezes the heap fails with EFAULT in the kernel; these wait
 * for the thaw and receive again (secheap_freeze.c). Nothing is served here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>

#include "preload.h"

/* The fortified entry points of <bits/socket2.h>, declared only under it. */
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
		       socklen_t *len);

SC_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return SC_THAWED(SC_CALL_NEXT(recv, fd, buf, n, flags));
}

SC_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *len)
{
	return SC_THAWED(SC_CALL_NEXT(recvfrom, fd, buf, n, flags, from, len));
}

SC_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return SC_THAWED(SC_CALL_NEXT(recvmsg, fd, msg, flags));
}

SC_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	return SC_THAWED(SC_CALL_NEXT(__recv_chk, fd, buf, n, buflen, flags));
}

SC_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
				 socklen_t *len)
{
	return SC_THAWED(SC_CALL_NEXT(__recvfrom_chk, fd, buf, n, buflen, flags, from, len));
}
