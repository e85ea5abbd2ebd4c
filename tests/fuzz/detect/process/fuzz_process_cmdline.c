/* Fuzz target: the per-process tests of the process sweep on a command
 * line (NUL-separated arguments): the miner test, the interpreter test on
 * its first argument, and the evidence escaping, whose output is printable
 * ASCII only. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/psrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        psrules_miner_t m = { 0 };
        char *esc, *first;

        if (psrules_miner_scan((const char *)data, size, NULL, NULL, &m) < 0)
                abort();
        (void)psrules_miner_verdict(&m);
        psrules_miner_clear(&m);
        first = strndup((const char *)data, size);
        if (first) {
                (void)psrules_interpreter(first, first, first, NULL);
                free(first);
        }
        esc = psrules_escape((const char *)data, size, 512);
        if (esc) {
                /* ASCII, plus the one "..." sign that marks a cut */
                for (const unsigned char *p = (const unsigned char *)esc; *p; p++)
                        if ((*p < 0x20 || *p >= 0x7f) && !(*p == 0xe2 || *p == 0x80 || *p == 0xa6))
                                abort();
                free(esc);
        }
        return 0;
}
