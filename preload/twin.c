/*
 * A twin of a served descriptor: an empty tmpfs file (memfd_create(2)),
 * opened with the same access mode and at the same file position. For
 * some calls the kernel answers for the secret file behind a served
 * descriptor (open for reading and writing, with no read, fallocate or
 * readahead) where a regular file answers otherwise, after checks whose
 * order and set change from one kernel to the next; the library asks the
 * kernel the same call on the twin instead (rwf.c, asked.c, lock.c).
 * Nothing can be written to an empty file opened O_RDONLY, and the twin is
 * closed once it has answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload.h"

/*
 * sc_twin returns a new descriptor of an empty tmpfs file opened with the
 * access mode of flags, at position pos, or -1 with errno (no descriptor
 * left, no /proc, a seccomp filter).
 */
int sc_twin(int flags, off_t pos)
{
	int twin = sc_fresh(memfd_create("secretcat-twin", MFD_CLOEXEC));
	if (twin >= 0 && (flags & O_ACCMODE) != O_RDWR) {
		/* A memfd is open for reading and writing; its path reopens it. */
		char path[32];
		int rw = twin;
		twin = -1;
		if (snprintf(path, sizeof path, "/proc/self/fd/%d", rw) < (int)sizeof path)
			twin = sc_fresh(SC_CALL_NEXT(open, path, (flags & O_ACCMODE) | O_CLOEXEC));
		int saved = errno;
		(void)SC_CALL_NEXT(close, rw); /* an empty tmpfs file's close has nothing to fail on */
		errno = saved;
	}
	if (twin >= 0 && pos != 0 && SC_CALL_NEXT(lseek, twin, pos, SEEK_SET) != pos) {
		int saved = errno;
		(void)SC_CALL_NEXT(close, twin);
		errno = saved;
		return -1;
	}
	return twin;
}
