/* Recognising a secret-memory descriptor. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/vfs.h>

#include "preload.h"

/* SECRETMEM_MAGIC of the kernel's include/uapi/linux/magic.h. */
#define SC_SECRETMEM_MAGIC 0x5345434d

/*
 * sc_is_secret reports whether fd is open on a memfd_secret file. errno is
 * left as it was.
 */
int sc_is_secret(int fd)
{
	int saved = errno;
	struct statfs fs;
	int secret = fstatfs(fd, &fs) == 0 && fs.f_type == SC_SECRETMEM_MAGIC;
	errno = saved;
	return secret;
}
