/*
 * forkcheck: the secret heap across fork, where it used to go wrong.
 *
 *	forkcheck aligned    forks while the heap's top sits exactly on a page
 *	                     boundary; the child allocates, then frees a block
 *	                     from before the fork (the copy once missed the
 *	                     header above the top, and the child aborted)
 *	forkcheck threads N  forks N times while 3 threads write OpenSSL
 *	                     memory they hold, allocate and free more, and
 *	                     record what they wrote in ordinary memory; no child may see OpenSSL memory
 *	                     older than the rest of its memory
 *
 *	forkcheck reads N    forks N times while a thread read(2)s from a pipe
 *	                     and /dev/zero into OpenSSL memory: the kernel's
 *	                     writes into the frozen heap never fail with EFAULT
 *
 *	forkcheck early      with earlyfork.so preloaded after the library: a
 *	                     child handler registered before the library's
 *	                     constructor writes into OpenSSL memory in the
 *	                     child; the parent's stays as it was
 *
 * Exits 0 when every check holds, 1 with a message otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>

#include "cryptomem.h"

static void die(const char *msg)
{
	fprintf(stderr, "forkcheck[%d]: %s\n", (int)getpid(), msg);
	exit(1);
}

/* wait_child returns the exit status of child pid, or -1 if it did not exit. */
static int wait_child(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid failed");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int aligned(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *big = MALLOC(200000); /* larger than any free block: from the top */
	unsigned long lo, hi;
	if (big == NULL || !secret_range(big, &lo, &hi))
		die("OpenSSL's memory is not in the secret heap");
	unsigned long end = (unsigned long)big - 16 + 200016 - lo; /* the top after it */
	unsigned long pad = (unsigned long)page - end % (unsigned long)page;
	if (pad < 32)
		pad += (unsigned long)page;
	unsigned char *last = MALLOC(pad - 16); /* a block of pad bytes with its header */
	if (last == NULL || (unsigned long)last - 16 - lo != end)
		die("could not put the heap's top on a page boundary");
	memset(last, 5, pad - 16);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		unsigned char *fresh = MALLOC(100); /* from the top, after the last block */
		if (fresh == NULL)
			die("child: allocation failed");
		FREE(last);
		FREE(fresh);
		FREE(big);
		_exit(0);
	}
	if (wait_child(pid) != 0)
		die("the child of a fork with the heap's top on a page boundary failed");
	FREE(last);
	FREE(big);
	printf("aligned: a fork with the heap's top at a page boundary, the child freed its blocks\n");
	return 0;
}

enum { THREADS = 3 };

/*
 * What each thread wrote last, in ordinary memory: its kept block holds at
 * least counted, its latest block at least seq.
 */
static struct {
	_Atomic uint64_t counted;
	uint64_t *_Atomic block; /* OpenSSL memory, replaced every 16 rounds */
	_Atomic uint64_t seq;
} slot[THREADS];
static uint64_t *kept[THREADS]; /* OpenSSL memory each thread counts in, as a reference count */
static atomic_int stop;

static void *writer(void *arg)
{
	size_t i = (size_t)arg;
	uint64_t n = 0;
	while (!atomic_load(&stop)) {
		n++;
		/* OpenSSL memory first, then the record in ordinary memory. */
		atomic_store((_Atomic uint64_t *)kept[i], n);
		atomic_store(&slot[i].counted, n);
		if (n % 16)
			continue;
		uint64_t *b = MALLOC(48 + (n % 7) * 16);
		if (b == NULL)
			die("allocation failed");
		atomic_store((_Atomic uint64_t *)b, n);
		uint64_t *old = atomic_exchange(&slot[i].block, b);
		atomic_store(&slot[i].seq, n);
		FREE(old);
	}
	return NULL;
}

/* older returns how many threads' OpenSSL memory is older than their record. */
static int older(void)
{
	int bad = 0;
	for (int i = 0; i < THREADS; i++) {
		uint64_t counted = atomic_load(&slot[i].counted), seq = atomic_load(&slot[i].seq);
		uint64_t *b = atomic_load(&slot[i].block);
		if (atomic_load((_Atomic uint64_t *)kept[i]) < counted || atomic_load((_Atomic uint64_t *)b) < seq)
			bad++;
		FREE(b); /* a live block of the child's own heap */
	}
	return bad;
}

static int threads(int n)
{
	for (size_t i = 0; i < THREADS; i++) {
		kept[i] = MALLOC(sizeof(uint64_t));
		uint64_t *b = MALLOC(48);
		if (kept[i] == NULL || b == NULL)
			die("allocation failed");
		*kept[i] = *b = 0;
		atomic_store(&slot[i].block, b);
	}
	pthread_t t[THREADS];
	for (size_t i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, writer, (void *)i) != 0)
			die("pthread_create failed");
	int stale = 0, failed = 0;
	for (int k = 0; k < n; k++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			die("fork failed");
		if (pid == 0)
			_exit(older() ? 3 : 0);
		int st = wait_child(pid);
		stale += st == 3;
		failed += st != 0 && st != 3;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("threads: %d children, %d saw older OpenSSL memory, %d failed otherwise\n", n, stale, failed);
	return stale || failed;
}

static atomic_long read_ok, read_fault;

/* reader reads into OpenSSL memory until stop: from the pipe *arg, then /dev/zero. */
static void *reader(void *arg)
{
	int in = *(int *)arg, zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	unsigned char *b = MALLOC(4096);
	if (zero < 0 || b == NULL)
		die("cannot open /dev/zero or allocate");
	while (!atomic_load(&stop)) {
		for (int fd = in, i = 0; i < 2; fd = zero, i++) {
			ssize_t r = read(fd, b, 4096);
			if (r > 0)
				read_ok++;
			else if (r < 0 && errno == EFAULT)
				read_fault++;
			else if (r < 0 && errno != EAGAIN)
				die("read failed");
		}
	}
	FREE(b);
	close(zero);
	return NULL;
}

static int reads(int n)
{
	int p[2];
	pthread_t t;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0 || pthread_create(&t, NULL, reader, &p[0]) != 0)
		die("cannot start the reader");
	static const char data[512];
	for (int i = 0; i < n; i++) {
		if (write(p[1], data, sizeof data) < 0 && errno != EAGAIN)
			die("write to the pipe failed");
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			die("fork failed");
		if (pid == 0)
			_exit(0);
		if (wait_child(pid) != 0)
			die("a child failed");
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("reads: %d forks, %s reads into OpenSSL memory, %ld failed with EFAULT\n", n,
	       read_ok > 0 ? "some" : "no", (long)read_fault);
	return read_ok == 0 || read_fault != 0;
}

static int early(void)
{
	unsigned char **slot = dlsym(RTLD_DEFAULT, "early_block");
	unsigned char *b = MALLOC(64);
	if (slot == NULL || b == NULL)
		die("earlyfork.so is not loaded, or allocation failed");
	memset(b, 1, 64);
	*slot = b;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid == 0)
		_exit(b[0] == 7 ? 0 : 1); /* the handler ran, in the child */
	int st = wait_child(pid);
	for (int i = 0; i < 64; i++)
		if (b[i] != 1)
			die("a child handler registered early wrote into the parent's OpenSSL memory");
	if (st != 0)
		die("the early child handler did not run in the child");
	FREE(b);
	printf("early: a child handler registered before the library wrote into the child's heap only\n");
	return 0;
}

int main(int argc, char **argv)
{
	load_crypto();
	if (argc == 2 && strcmp(argv[1], "aligned") == 0)
		return aligned();
	if (argc == 2 && strcmp(argv[1], "early") == 0)
		return early();
	if (argc == 3 && strcmp(argv[1], "threads") == 0)
		return threads(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "reads") == 0)
		return reads(atoi(argv[2]));
	die("usage: forkcheck aligned | threads N | reads N | early");
}
