/* A read-only shared mapping of a whole secret file, and reads from it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "preload.h"

/*
 * sc_view_map maps the whole file fd read-only and shared (a secret file
 * refuses MAP_PRIVATE). The mapping counts against RLIMIT_MEMLOCK: mmap
 * fails with EAGAIN over the limit, and that errno is what the caller sees.
 */
int sc_view_map(int fd, struct sc_view *v)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	if (st.st_size < 0) {
		errno = EINVAL;
		return -1;
	}
	v->size = (size_t)st.st_size;
	v->base = NULL;
	if (v->size == 0)
		return 0;
	void *p = mmap(NULL, v->size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	v->base = p;
	return 0;
}

/* sc_view_unmap unmaps the view; errno is kept on success. */
int sc_view_unmap(struct sc_view *v)
{
	if (v->base == NULL)
		return 0;
	int saved = errno;
	if (munmap((void *)v->base, v->size) != 0)
		return -1;
	v->base = NULL;
	errno = saved;
	return 0;
}

/*
 * sc_view_copy copies up to n bytes from position pos into buf and returns
 * how many it copied: 0 at or past the end.
 */
size_t sc_view_copy(const struct sc_view *v, off_t pos, void *buf, size_t n)
{
	if (pos < 0 || (size_t)pos >= v->size)
		return 0;
	size_t left = v->size - (size_t)pos;
	if (n > left)
		n = left;
	memcpy(buf, v->base + pos, n);
	return n;
}

/*
 * sc_view_seek computes the position lseek(2) would move to from cur, or
 * returns -1 with errno EINVAL (negative result, bad whence) or ENXIO
 * (SEEK_DATA or SEEK_HOLE past the end), as for a regular file without
 * holes.
 */
off_t sc_view_seek(const struct sc_view *v, off_t cur, off_t off, int whence)
{
	off_t size = (off_t)v->size, base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = cur;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0 || off >= size) {
			errno = off < 0 ? EINVAL : ENXIO;
			return -1;
		}
		return whence == SEEK_DATA ? off : size;
	default:
		errno = EINVAL;
		return -1;
	}
	off_t pos;
	if (__builtin_add_overflow(base, off, &pos) || pos < 0) {
		errno = EINVAL;
		return -1;
	}
	return pos;
}
