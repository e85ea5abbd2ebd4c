/* Fuzz target for agent/cclient's readers of files on the host: the
 * credential file (STATE/center.json) and os-release. The input is written
 * to a real file (mode 0600) and read back; whatever the bytes, a loaded
 * credential must satisfy the reader's promises (a URL the policy accepts,
 * a 64-hex-digit secret, an id above 0), and the identity strings must be
 * printable. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cclient.h"

static char dir[64];

static void write_input(const char *path, const uint8_t *data, size_t size)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0)
                abort();
        if (size && write(fd, data, size) != (ssize_t)size)
                abort();
        close(fd);
}

static void printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char path[128], *err = NULL;
        cclient_cred_t c = { 0 };
        cclient_identity_t id;
        int r;

        if (!dir[0]) {
                snprintf(dir, sizeof(dir), "/tmp/vigil-fuzz-cred.XXXXXX");
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(path, sizeof(path), "%s/%s", dir, CCLIENT_CRED_FILE);
        write_input(path, data, size);
        r = cclient_cred_load(dir, &c, &err);
        if (r == 0) {
                char *e2 = NULL;
                if (cclient_check_url(c.url, &e2) < 0 || c.agent_id < 1 ||
                    strlen(c.secret) != CCLIENT_SECRET_HEX || (c.ca_file && c.ca_file[0] != '/'))
                        abort();
                free(e2);
                cclient_cred_clear(&c);
        } else if (r != -ENOMEM && !err)
                abort(); /* every refusal says why */
        free(err);
        snprintf(path, sizeof(path), "%s/os-release", dir);
        write_input(path, data, size);
        cclient_identity(path, &id);
        printable(id.os);
        printable(id.os_version);
        printable(id.hostname);
        return 0;
}
