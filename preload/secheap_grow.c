/*
 * Room for the secret heap to grow. The arena lives at the start of an
 * address range reserved once (SC_HEAP_RESERVE bytes, PROT_NONE, no memory
 * behind it), so that it can grow in place: the first allocation maps the
 * initial size there, and a full arena maps more secret memory right after
 * its end, each a new memfd_secret file (no descriptor stays open in the
 * program). A forked child gets one copy of the whole arena (secheap_mem.c).
 *
 * How far: secret memory counts against RLIMIT_MEMLOCK, and a process that
 * forks maps a copy of the arena's part in use meanwhile; so without
 * CAP_IPC_LOCK an arena grows up to half of the limit, and with it (root)
 * up to the whole reserved range. Past that, OpenSSL's allocations go to
 * ordinary memory, and the library says so once per process. The limit
 * and the capability are read again at most once a second while the arena
 * cannot grow (each allocation that overflows would otherwise read them).
 *
 * A program may bound its address space (RLIMIT_AS: dovecot's vsz_limit,
 * 256 MiB by default): the range is then halved until it fits, down to
 * the initial size, rather than failing as if locked memory had run out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "secheap.h"

static unsigned char *reserved; /* the range, once reserved */
static size_t reserved_size;    /* its size: SC_HEAP_RESERVE, or less under RLIMIT_AS */

int sc_heap_secret_file(size_t size)
{
	int fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sc_heap_extend(void *at, size_t add)
{
	int fd = sc_heap_secret_file(add);
	if (fd < 0)
		return -1;
	void *p = mmap(at, add, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		/* MAP_FIXED may have unmapped the reservation there: take it back,
		 * or else end the range there, so that the arena never grows over
		 * whatever the kernel maps in the hole later. */
		if (mmap(at, add, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) ==
			    MAP_FAILED && reserved != NULL)
			reserved_size = (size_t)((unsigned char *)at - reserved);
		errno = e;
		return -1;
	}
	return 0;
}

void *sc_heap_reserve(size_t initial)
{
	size_t size = SC_HEAP_RESERVE;
	void *p;
	while ((p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) == MAP_FAILED) {
		if (errno != ENOMEM || size / 2 < initial)
			return NULL;
		size /= 2;
	}
	if (sc_heap_extend(p, initial) != 0) {
		int e = errno;
		munmap(p, size);
		errno = e;
		return NULL;
	}
	reserved = p;
	reserved_size = size;
	return p;
}

int sc_heap_in_reserve(const void *p)
{
	const unsigned char *b = p;
	return reserved != NULL && b >= reserved && b < reserved + reserved_size;
}

/* ipc_lock says whether the process has CAP_IPC_LOCK in its effective set. */
static int ipc_lock(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (d[CAP_IPC_LOCK / 32].effective >> (CAP_IPC_LOCK % 32)) & 1;
}

size_t sc_heap_room(void)
{
	struct rlimit rl;
	if (ipc_lock() || getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur / 2 >= reserved_size)
		return reserved_size;
	long page = sysconf(_SC_PAGESIZE);
	return (size_t)(rl.rlim_cur / 2) & ~((size_t)page - 1);
}
