/*
 * What an open file description shares with its copies in forked children:
 * the kernel keeps one file position and one set of status flags for a
 * description, whichever process reads, seeks or sets them. A secret file
 * has no position the kernel keeps (lseek(2) fails with ESPIPE), so each
 * description the library serves keeps them in a page of shared anonymous
 * memory of its own, which fork(2) shares as it shares the description.
 * The kernel frees the page when the last process that maps it unmaps it,
 * execs or exits: no process has to know about the others. Such memory is
 * not locked, and does not count against RLIMIT_MEMLOCK.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

#include "preload.h"

/*
 * sc_shared_new returns a new description's shared state, at position 0
 * with flags, or NULL with mmap's errno.
 */
struct sc_shared *sc_shared_new(int flags)
{
	void *p = mmap(NULL, sizeof(struct sc_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct sc_shared *s = p;
	atomic_init(&s->pos, 0);
	atomic_init(&s->flags, flags);
	return s;
}

/*
 * sc_shared_free unmaps this process's view of s; copies in other
 * processes stay. It cannot fail for a page that sc_shared_new mapped;
 * errno is kept.
 */
void sc_shared_free(struct sc_shared *s)
{
	int saved = errno;
	if (munmap(s, sizeof *s) != 0)
		errno = saved;
}
