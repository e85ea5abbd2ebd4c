/* Country of an IP address from a MaxMind DB file (.mmdb) the user
 * supplies: GeoLite2-Country/City, DB-IP's free country database, or any
 * database with the same "country" → "iso_code" layout. vigil ships no
 * database; without one the login baseline judges sources only.
 *
 * The file is opened once (memory-mapped by libmaxminddb) and read-only
 * afterwards; a lookup allocates nothing. A corrupt or hostile database can
 * only give wrong countries: libmaxminddb checks its offsets against the
 * file's size, and the country code taken from it must be two ASCII
 * letters. */
#pragma once

#include "core/ipaddr.h"
#include "core/macro.h"

typedef struct geoip geoip_t;

/* Open PATH. Returns 0, -ENOENT when missing, -EINVAL for a file that is
 * not a MaxMind DB (with *RET_ERROR naming PATH and the cause; caller
 * frees), -ENOMEM. */
int geoip_open(const char *path, geoip_t **ret, char **ret_error);
void geoip_close(geoip_t *g);
static inline void geoip_closep(geoip_t **g)
{
        geoip_close(*g);
}
#define _cleanup_geoip_ _cleanup_(geoip_closep)

/* The ISO 3166 code of A's country (the "country" record, else the
 * "registered_country" one) into OUT (3 bytes, upper case). Returns 0,
 * -ENOENT when the database has no country for A. */
int geoip_country(const geoip_t *g, const ipaddr_t *a, char out[3]);
