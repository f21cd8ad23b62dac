/* What the library does when it is loaded, before the program's main. */
#include "preload.h"

__attribute__((constructor)) static void sc_init(void)
{
	sc_dumpable_init();
}
