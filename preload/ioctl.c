/*
 * ioctl(2) requests that a regular file answers from its size and the file
 * position, and that the kernel refuses (ENOTTY) for a secret file:
 * FIONREAD, the bytes from the position to the end (an int, as the kernel
 * writes it, negative past the end), and FIOQSIZE, the bytes the file takes
 * (a tmpfs file of the same size takes whole pages). They are answered for
 * a served descriptor, once the kernel has refused them, so that other
 * descriptors and requests cost nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "preload.h"

/*
 * answer writes what request gives for o's descriptor fd into arg, as the
 * kernel's copy does (EFAULT), and returns 0, or -1 with errno.
 */
static int answer(struct sc_open *o, int fd, unsigned long request, void *arg)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	long page = sysconf(_SC_PAGESIZE);
	int left = (int)(st.st_size - sc_open_seek(o, 0, SEEK_CUR));
	long long taken = page > 0 ? (st.st_size + page - 1) / page * page : st.st_size;
	const void *v = request == FIONREAD ? (const void *)&left : (const void *)&taken;
	size_t n = request == FIONREAD ? sizeof left : sizeof taken;
	ssize_t copied = sc_copy_out(arg, v, n);
	if (copied == (ssize_t)n)
		return 0;
	errno = EFAULT;
	return -1;
}

SC_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int saved = errno;
	int r = SC_CALL_NEXT(ioctl, fd, request, arg);
	if (r == 0 || errno != ENOTTY || (request != FIONREAD && request != FIOQSIZE))
		return r;
	struct sc_open *o = sc_table_find(fd);
	if (o == NULL)
		return r;
	r = answer(o, fd, request, arg) == 0 ? 0 : -1;
	if (r == 0)
		errno = saved;
	sc_open_put(o);
	return r;
}
