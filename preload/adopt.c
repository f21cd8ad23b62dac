/*
 * Secret descriptors the library did not open: the program inherited one
 * (a shell ran "prog < /dev/fd/3", so prog's standard input is a secret
 * file), or reads the secret descriptor itself. The kernel refuses read(2)
 * on them; the library then takes the descriptor into its table, as if it
 * had just opened it (position 0), and serves the call. Nothing is done
 * until the kernel has refused, so other descriptors cost nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

#include "preload.h"

/*
 * sc_adopt returns fd's slot, with a reference, when the kernel refused a
 * read of fd with errno and fd is a secret file; NULL with errno kept
 * otherwise.
 */
struct sc_open *sc_adopt(int fd)
{
	int refused = errno;
	if ((refused != EINVAL && refused != ESPIPE) || !sc_is_secret(fd))
		return NULL;
	/* An O_PATH descriptor reads nothing (EBADF), nor a write-only one. */
	int flags = SC_CALL_NEXT(fcntl, fd, F_GETFL);
	struct sc_open *o = NULL;
	if (flags >= 0 && (flags & O_PATH) == 0 && (flags & O_ACCMODE) != O_WRONLY)
		o = sc_table_add(fd, flags);
	errno = refused;
	return o;
}
