/* What the library does when it is loaded, before the program's main. */
#include "preload.h"
#include "secheap.h"

__attribute__((constructor)) static void sc_init(void)
{
	sc_dumpable_init();
	sc_heap_init();
}
