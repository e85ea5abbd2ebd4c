/* Fuzz target: the HTTP/1.x response parser (status line, headers,
 * Content-Length, chunked bodies), with and without end of stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/exposure/probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (int eof = 0; eof < 2; eof++) {
                probe_http_resp_t h;
                if (probe_http_parse((const char *)data, size, eof, &h) == 0) {
                        if (h.status < 100 || h.status > 599 || !h.body ||
                            strlen(h.location) >= sizeof(h.location) ||
                            h.body_len > PROBE_MAX_HTTP_BODY)
                                abort();
                        probe_http_resp_done(&h);
                }
        }
        return 0;
}
