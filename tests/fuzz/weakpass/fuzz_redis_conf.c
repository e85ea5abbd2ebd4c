/* Fuzz target: redis.conf and ACL file parsing and the user model. The
 * input is parsed as a configuration, then again as an ACL file. */
#include <stddef.h>
#include <stdint.h>

#include "scan/weakpass/redisconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_include(const char *path, const char *where, void *userdata)
{
        (void)path;
        (void)where;
        (void)userdata;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        redisconf_t c;

        if (!r)
                return 0;
        if (redisconf_init(&c) == 0) {
                if (redisconf_parse(&c, (const char *)data, size, "redis.conf", r, on_include,
                                    NULL) == 0)
                        (void)redisconf_finish(&c);
                redisconf_clear(&c);
        }
        if (redisconf_init(&c) == 0) {
                if (redisconf_parse_aclfile(&c, (const char *)data, size, "users.acl", r) == 0)
                        (void)redisconf_finish(&c);
                redisconf_clear(&c);
        }
        report_free(r);
        return 0;
}
