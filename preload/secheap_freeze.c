/*
 * Freezing the secret heap while a process forks.
 *
 * Ordinary memory is copied at the instant of fork (copy-on-write). The
 * arena is a shared mapping, which fork shares instead, so secheap_mem.c
 * copies it for the child in the prepare handler. The allocator's lock
 * keeps allocations out meanwhile, but other threads go on writing blocks
 * they already hold (reference counts, locks, buffers) until the fork
 * itself, and the child would see OpenSSL's memory older than the rest.
 *
 * So the arena is made read-only for the copy and the fork: a thread that
 * writes into it meanwhile faults, waits in this SIGSEGV handler until the
 * parent handler makes the arena writable again, and then its write is
 * retried, after the fork, in the parent only. What the child gets is the
 * arena as it was at fork, as for the rest of its memory.
 *
 * The handler is installed at the first fork and stays (a signal raised
 * by a write just before the thaw may be delivered after it); faults that
 * are not a write into a frozen arena go to the action it replaced, and a
 * program that installs its own handler later gets it back at each fork.
 * The kernel's own writes into a frozen arena (read(2) into an OpenSSL
 * buffer by another thread during a fork) fail with EFAULT instead, having
 * consumed nothing (sockets, pipes and files keep their data when the copy
 * out fails; a datagram is dropped either way); read.c and recv.c wait for
 * the thaw and read again when a freeze came during their call. No
 * function here allocates.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "secheap.h"

static atomic_uint freezes;     /* freezes and thaws so far: odd while frozen; the futex word */
static pid_t freezer;           /* the thread that froze it */
static unsigned char *f_base;   /* the frozen range */
static size_t f_size;
static struct sigaction replaced; /* the SIGSEGV action before ours */

/* chain hands a fault that is not ours to the action ours replaced. */
static void chain(int sig, siginfo_t *si, void *ctx)
{
	if (replaced.sa_flags & SA_SIGINFO) {
		replaced.sa_sigaction(sig, si, ctx);
		return;
	}
	if (replaced.sa_handler == SIG_DFL || replaced.sa_handler == SIG_IGN) {
		/* The fault repeats on return and takes its default course. */
		sigaction(SIGSEGV, &replaced, NULL);
		return;
	}
	replaced.sa_handler(sig);
}

/* frozen says whether the arena is read-only for a fork now. */
static int frozen(void)
{
	return atomic_load(&freezes) % 2;
}

/* unfreeze counts the end of a freeze and wakes whoever waits for it. */
static void unfreeze(void)
{
	atomic_fetch_add(&freezes, 1);
	syscall(SYS_futex, &freezes, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

/* wait_thaw waits until the arena is writable again; errno is kept. */
static void wait_thaw(void)
{
	int saved = errno;
	if (frozen() && (pid_t)syscall(SYS_gettid) == freezer) {
		/* A fork handler that runs after ours writes into the arena:
		 * the copy is taken; let the write happen rather than hang. */
		sc_heap_thaw();
	}
	unsigned seen;
	while ((seen = atomic_load(&freezes)) % 2)
		syscall(SYS_futex, &freezes, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
	errno = saved;
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	unsigned char *a = si->si_addr;
	if (f_base == NULL || a < f_base || a >= f_base + f_size) {
		chain(sig, si, ctx);
		return;
	}
	wait_thaw(); /* and the write is retried */
}

unsigned sc_heap_freezes(void)
{
	return atomic_load_explicit(&freezes, memory_order_acquire);
}

int sc_heap_thawed(unsigned before)
{
	if (sc_heap_freezes() == before && before % 2 == 0) /* no freeze came, none was on */
		return 0;
	wait_thaw();
	return 1;
}

int sc_heap_freeze(void *base, size_t size)
{
	struct sigaction ours, prev;
	memset(&ours, 0, sizeof ours);
	ours.sa_sigaction = on_segv;
	ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER;
	sigfillset(&ours.sa_mask);
	sigdelset(&ours.sa_mask, SIGSEGV);
	if (sigaction(SIGSEGV, &ours, &prev) != 0)
		return -1;
	if (!(prev.sa_flags & SA_SIGINFO) || prev.sa_sigaction != on_segv)
		replaced = prev;
	f_base = base;
	f_size = size;
	freezer = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&freezes, 1);
	if (mprotect(base, size, PROT_READ) != 0) {
		int e = errno;
		unfreeze();
		errno = e;
		return -1;
	}
	return 0;
}

void sc_heap_thaw(void)
{
	if (!frozen())
		return;
	int saved = errno;
	if (mprotect(f_base, f_size, PROT_READ | PROT_WRITE) != 0)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "cannot make the OpenSSL secret heap writable again "
			    "after a fork: ", strerror(errno), NULL);
	unfreeze();
	errno = saved;
}

void sc_heap_thaw_child(void)
{
	/* The arena is the child's own writable copy now, and no other
	 * thread is left to wait: the program's action comes back. */
	unfreeze();
	f_base = NULL;
	sigaction(SIGSEGV, &replaced, NULL);
}
