/*
 * preadv2(2)'s flags on a served descriptor. The kernel checks them when it
 * reads a regular file, once the iovecs and the position have passed and
 * before it copies anything: unknown bits fail with EOPNOTSUPP,
 * RWF_APPEND with RWF_NOAPPEND with EINVAL, and the file system refuses
 * what it cannot do (tmpfs on Linux 6.18: RWF_NOWAIT, RWF_ATOMIC on a read,
 * RWF_DONTCACHE). Which bits are known changes from one kernel to the next
 * (RWF_ATOMIC, RWF_DONTCACHE and RWF_NOSIGNAL came in 6.11 to 6.16), so the
 * library asks the kernel: it reads with the same flags at the end of a
 * twin (twin.c), an empty tmpfs file, which copies nothing. Only calls
 * with flags pay for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"

/*
 * sc_rwf_refused returns 0 when a read with flags is taken, or the errno
 * with which the kernel refuses it for a tmpfs file. Where it cannot ask
 * (no descriptor left, a seccomp filter), any flag is refused as an
 * unknown one is, with EOPNOTSUPP. errno is kept.
 */
int sc_rwf_refused(int flags)
{
	if (flags == 0)
		return 0;
	int saved = errno;
	int fd = sc_twin(O_RDWR, 0);
	int refused = EOPNOTSUPP;
	if (fd >= 0) {
		char byte;
		struct iovec iov = {&byte, 1};
		refused = SC_CALL_NEXT(preadv2, fd, &iov, 1, 0, flags) == 0 ? 0 : errno;
		(void)SC_CALL_NEXT(close, fd); /* the twin's answer stands */
	}
	errno = saved;
	return refused;
}
