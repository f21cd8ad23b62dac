/*
 * heapcheck: exercises OpenSSL's allocator (CRYPTO_malloc and friends, from
 * libcrypto.so.3 loaded at run time, so no OpenSSL headers are needed) the
 * way the secret heap must survive it, and prints what it finds.
 *
 *	heapcheck where     where OpenSSL's allocations live: "secret" when in
 *	                    a memfd_secret mapping, "ordinary" otherwise
 *	heapcheck fork N    N forks while 2 threads allocate and free, each child
 *	                    allocating too; parent and children must not see
 *	                    each other's writes, and a child of a parent that
 *	                    frees everything and exits keeps its memory intact
 *	heapcheck full      allocates past the heap's end: the blocks that do
 *	                    not fit go to ordinary memory and work, and after
 *	                    everything is freed blocks are secret again
 *	heapcheck grow N    allocates N blocks of 1000 bytes and says how many
 *	                    are in secret memory
 *	heapcheck custom    installs its own allocator for OpenSSL, as stunnel,
 *	                    MariaDB and dovecot do, and prints the result and
 *	                    where OpenSSL's allocations live then
 *	heapcheck secure    sets up OpenSSL's own secure heap, as a program
 *	                    linked with libcrypto would, and prints the result
 *
 * Exits 0 when every check holds, 1 with a message otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cryptomem.h"

static void die(const char *msg)
{
	fprintf(stderr, "heapcheck[%d]: %s\n", (int)getpid(), msg);
	exit(1);
}

static void fill(unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v + i);
}

static int holds(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(v + i))
			return 0;
	return 1;
}

/* churn allocates, grows and frees blocks of many sizes. */
static void churn(unsigned seed, int rounds)
{
	void *slot[64] = {0};
	for (int r = 0; r < rounds; r++) {
		seed = seed * 1103515245 + 12345;
		unsigned i = (seed >> 8) % 64;
		size_t n = 1 + (seed >> 16) % 3000;
		if (slot[i] == NULL) {
			slot[i] = MALLOC(n);
		} else if (seed & 1) {
			void *q = REALLOC(slot[i], n);
			if (q != NULL)
				slot[i] = q;
		} else {
			FREE(slot[i]);
			slot[i] = NULL;
		}
	}
	for (int i = 0; i < 64; i++)
		FREE(slot[i]);
}

static atomic_int stop;

static void *churner(void *arg)
{
	unsigned seed = (unsigned)(size_t)arg;
	while (!atomic_load(&stop))
		churn(seed++, 200);
	return NULL;
}

static int forks(int n)
{
	enum { SIZE = 5000 };
	unsigned char *shared = MALLOC(SIZE);
	if (shared == NULL)
		die("allocation failed");
	fill(shared, SIZE, 1);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, churner, (void *)(size_t)(i + 1)) != 0)
			die("pthread_create failed");
	for (int k = 0; k < n; k++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			die("fork failed");
		if (pid == 0) {
			/* The child sees the block as it was at fork, then writes it. */
			if (!holds(shared, SIZE, 1))
				die("child: block changed across fork");
			churn((unsigned)k, 2000);
			fill(shared, SIZE, 7);
			usleep(2000);
			if (!holds(shared, SIZE, 7))
				die("child: its own writes were overwritten");
			_exit(0);
		}
		/* Meanwhile the parent writes the block, then restores it. */
		fill(shared, SIZE, 9);
		churn((unsigned)k + 1000, 500);
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("a child failed");
		if (!holds(shared, SIZE, 9))
			die("parent: a child's writes reached the parent");
		fill(shared, SIZE, 1);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);

	/* Daemon-style: the parent frees everything and exits at once. */
	int pipefd[2];
	if (pipe(pipefd) != 0)
		die("pipe failed");
	pid_t pid = fork();
	if (pid < 0)
		die("fork failed");
	if (pid > 0) {
		FREE(shared);
		churn(99, 5000);
		close(pipefd[0]);
		close(pipefd[1]);
		_exit(0);
	}
	close(pipefd[1]);
	char c;
	while (read(pipefd[0], &c, 1) > 0) /* until the parent is gone */
		;
	usleep(20000);
	if (!holds(shared, SIZE, 1))
		die("daemon child: block changed after the parent exited");
	churn(5, 5000);
	FREE(shared);
	printf("forks: %d children and a daemon child kept their own memory\n", n);
	return 0;
}

static int full(void)
{
	enum { N = 400, SIZE = 1000 };
	static unsigned char *blocks[N];
	int secret = 0;
	for (int i = 0; i < N; i++) {
		if ((blocks[i] = MALLOC(SIZE)) == NULL)
			die("an allocation failed");
		fill(blocks[i], SIZE, (unsigned char)i);
		secret += in_secret(blocks[i]);
	}
	if (secret == 0 || secret == N)
		die("no block in secret memory, or no block past the heap's end");
	unsigned char *grown = REALLOC(blocks[0], 100 * SIZE);
	if (grown == NULL || !holds(grown, SIZE, 0))
		die("growing a block past the heap's end lost it");
	blocks[0] = grown;
	for (int i = 1; i < N; i++)
		if (!holds(blocks[i], SIZE, (unsigned char)i))
			die("a block changed");
	for (int i = 0; i < N; i++)
		FREE(blocks[i]);
	void *p = MALLOC(SIZE);
	if (p == NULL || !in_secret(p))
		die("not in secret memory after freeing everything");
	FREE(p);
	printf("full: %d of %d blocks in secret memory, the rest in ordinary memory; secret again after freeing\n", secret, N);
	return 0;
}

/* A program's own allocator for OpenSSL. */
static void *own_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return malloc(n);
}

static void *own_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return realloc(p, n);
}

static void own_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

int main(int argc, char **argv)
{
	void *h = load_crypto();
	if (argc == 2 && strcmp(argv[1], "where") == 0) {
		void *p = MALLOC(100);
		printf("%s\n", in_secret(p) ? "secret" : "ordinary");
		FREE(p);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "secure") == 0) {
		/* Found as a linked program finds it: the global namespace first. */
		int (*init)(size_t, size_t) = (int (*)(size_t, size_t))dlsym(RTLD_DEFAULT, "CRYPTO_secure_malloc_init");
		if (init == NULL)
			init = (int (*)(size_t, size_t))dlsym(h, "CRYPTO_secure_malloc_init");
		printf("CRYPTO_secure_malloc_init: %d\n", init(65536, 16));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "grow") == 0) {
		int n = atoi(argv[2]), secret = 0;
		for (int i = 0; i < n; i++) {
			unsigned char *p = MALLOC(1000);
			if (p == NULL)
				die("an allocation failed");
			fill(p, 1000, (unsigned char)i);
			secret += in_secret(p);
		}
		printf("grow: %d of %d blocks in secret memory\n", secret, n);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "custom") == 0) {
		/* Found as a linked program finds it: the global namespace first. */
		typedef int (*set_fn)(void *(*)(size_t, const char *, int),
				      void *(*)(void *, size_t, const char *, int), void (*)(void *, const char *, int));
		set_fn set = (set_fn)dlsym(RTLD_DEFAULT, "CRYPTO_set_mem_functions");
		if (set == NULL)
			set = (set_fn)dlsym(h, "CRYPTO_set_mem_functions");
		printf("CRYPTO_set_mem_functions: %d\n", set(own_malloc, own_realloc, own_free));
		void *p = MALLOC(100);
		printf("%s\n", in_secret(p) ? "secret" : "ordinary");
		FREE(p);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "fork") == 0)
		return forks(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "full") == 0)
		return full();
	die("usage: heapcheck where | fork N | full | grow N | custom | secure");
}
