/*
 * The caller's memory as the kernel sees it: read(2) of a regular file
 * fails with EFAULT, instead of crashing, when the buffer is outside the
 * user address range or not writable, and stops short where it stops being
 * writable. A library that copies with memcpy would take SIGSEGV instead,
 * so each page of the buffer is first written by the kernel (one byte of
 * getrandom(2), which the copy then overwrites).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

/*
 * The end of the user address range (the kernel's TASK_SIZE_MAX with the
 * usual page tables); beyond it access_ok(9) fails.
 */
#if defined(__x86_64__)
#define SC_USER_END (((uintptr_t)1 << 47) - 4096)
#elif defined(__aarch64__)
#define SC_USER_END ((uintptr_t)1 << 48)
#else
#define SC_USER_END UINTPTR_MAX
#endif

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

/* sc_user_ok reports whether the kernel's access_ok takes buf and n. */
int sc_user_ok(const void *buf, size_t n)
{
	uintptr_t end;
	return !__builtin_add_overflow((uintptr_t)buf, n, &end) && end <= SC_USER_END;
}

/*
 * writable reports whether the kernel can write the byte at p (it writes
 * it). Where the kernel cannot say (no getrandom(2), a seccomp filter), the
 * byte is taken as writable.
 */
static int writable(void *p)
{
	static _Atomic int flags = GRND_INSECURE;
	for (;;) {
		int f = atomic_load_explicit(&flags, memory_order_relaxed);
		long r = syscall(SYS_getrandom, p, 1, f);
		if (r == 1)
			return 1;
		if (r < 0 && errno == EFAULT)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && f == GRND_INSECURE) { /* before Linux 5.6 */
			atomic_store_explicit(&flags, GRND_NONBLOCK, memory_order_relaxed);
			continue;
		}
		return 1;
	}
}

/*
 * sc_copy_out copies n bytes from src to the caller's buf, a page of buf at
 * a time, as copy_to_user(9) does: it returns how many bytes it copied,
 * fewer than n where buf stops being writable, or -1 with EFAULT when not
 * even the first byte is. errno is kept otherwise.
 */
ssize_t sc_copy_out(void *buf, const void *src, size_t n)
{
	static _Atomic size_t pagesize;
	size_t page = atomic_load_explicit(&pagesize, memory_order_relaxed);
	if (page == 0) {
		page = getauxval(AT_PAGESZ);
		if (page == 0)
			page = 4096;
		atomic_store_explicit(&pagesize, page, memory_order_relaxed);
	}
	int saved = errno;
	unsigned char *d = buf;
	const unsigned char *s = src;
	size_t done = 0;
	while (done < n) {
		size_t chunk = page - ((uintptr_t)(d + done) & (page - 1));
		if (chunk > n - done)
			chunk = n - done;
		if (!writable(d + done))
			break;
		memcpy(d + done, s + done, chunk);
		done += chunk;
	}
	if (done == 0 && n > 0) {
		errno = EFAULT;
		return -1;
	}
	errno = saved;
	return (ssize_t)done;
}
