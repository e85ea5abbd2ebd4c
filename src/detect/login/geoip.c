#include "detect/login/geoip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#include "core/text.h"

struct geoip {
        MMDB_s db;
};

int geoip_open(const char *path, geoip_t **ret, char **ret_error)
{
        geoip_t *g = calloc(1, sizeof(*g));
        int status;

        *ret_error = NULL;
        if (!g)
                return -ENOMEM;
        status = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
        if (status != MMDB_SUCCESS) {
                int r = status == MMDB_FILE_OPEN_ERROR       ? -ENOENT
                        : status == MMDB_OUT_OF_MEMORY_ERROR ? -ENOMEM
                                                             : -EINVAL;
                *ret_error = str_printf("%s: %s", path, MMDB_strerror(status));
                free(g);
                return r;
        }
        *ret = g;
        return 0;
}

void geoip_close(geoip_t *g)
{
        if (!g)
                return;
        MMDB_close(&g->db);
        free(g);
}

static bool take_code(MMDB_entry_s *entry, const char *record, char out[3])
{
        MMDB_entry_data_s data;

        if (MMDB_get_value(entry, &data, record, "iso_code", NULL) != MMDB_SUCCESS ||
            !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size != 2)
                return false;
        for (int i = 0; i < 2; i++) {
                char ch = data.utf8_string[i];
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
                        return false;
                out[i] = (char)(ch & ~0x20);
        }
        out[2] = 0;
        return true;
}

int geoip_country(const geoip_t *g, const ipaddr_t *a, char out[3])
{
        struct sockaddr_storage ss = { 0 };
        MMDB_lookup_result_s res;
        int status = 0;

        if (a->family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
                sin->sin_family = AF_INET;
                memcpy(&sin->sin_addr, a->bytes, 4);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
                sin6->sin6_family = AF_INET6;
                memcpy(&sin6->sin6_addr, a->bytes, 16);
        }
        res = MMDB_lookup_sockaddr(&g->db, (const struct sockaddr *)&ss, &status);
        if (status != MMDB_SUCCESS || !res.found_entry)
                return -ENOENT;
        if (take_code(&res.entry, "country", out) ||
            take_code(&res.entry, "registered_country", out))
                return 0;
        return -ENOENT;
}
