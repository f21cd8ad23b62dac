/*
 * The order of fork handlers. pthread_atfork runs prepare handlers in the
 * reverse order of their registration and parent and child handlers in
 * that order, so the secret heap's handlers must be registered before any
 * other: then its prepare runs last (no other handler allocates from or
 * writes into the arena after its copy is taken) and its child handler
 * first (no other child handler writes into the parent's arena, still
 * shared, before the child has its own copy).
 *
 * The library's constructor runs after those of the program's libraries,
 * which may register handlers, so registration is interposed instead:
 * pthread_atfork, a static part of every program and library (glibc's
 * libc_nonshared.a), calls __register_atfork, and the first call, the
 * library's own or another's, registers the heap's handlers first. They do
 * nothing while the heap is off.
 *
 * The first call may come before anything else in the process runs:
 * ThreadSanitizer's runtime, linked into the program, registers its
 * handlers while it starts, before its own state exists, and its
 * pthread_once would crash then. So the once here is an atomic word of
 * this library's, and a second caller waits out the first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>

#include "preload.h"
#include "secheap.h"

extern void *__dso_handle;

typedef void (*handler_fn)(void);

int __register_atfork(handler_fn prepare, handler_fn parent, handler_fn child, void *dso);

enum { UNREGISTERED, REGISTERING, REGISTERED };
static _Atomic int state = UNREGISTERED;
static int first_err;

int sc_heap_atfork(void)
{
	int expect = UNREGISTERED;
	if (atomic_compare_exchange_strong(&state, &expect, REGISTERING)) {
		__typeof__(&__register_atfork) next = SC_NEXT(__register_atfork);
		first_err = next != NULL ? next(sc_heap_prepare, sc_heap_parent, sc_heap_child, &__dso_handle) : ENOSYS;
		atomic_store(&state, REGISTERED);
	}
	while (atomic_load(&state) != REGISTERED)
		sched_yield();
	return first_err;
}

SC_EXPORT int __register_atfork(handler_fn prepare, handler_fn parent, handler_fn child, void *dso)
{
	sc_heap_atfork();
	__typeof__(&__register_atfork) next = SC_NEXT(__register_atfork);
	return next != NULL ? next(prepare, parent, child, dso) : ENOSYS;
}
