/* Fuzz target: wtmp/btmp records. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/login/utmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        (void)utmp_looks_like(data, size);
        for (size_t off = 0; off + UTMP_RECORD_SIZE <= size; off += UTMP_RECORD_SIZE) {
                logevent_t e;
                for (int btmp = 0; btmp < 2; btmp++) {
                        int r = utmp_parse_record(data + off, UTMP_RECORD_SIZE, btmp, "f", 1, &e);
                        if (r > 0 && (strlen(e.user) > 32 || strlen(e.src) >= sizeof(e.src)))
                                abort();
                }
        }
        return 0;
}
