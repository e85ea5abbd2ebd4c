/* Reading the network detectors' and the blocker's settings out of the
 * configuration tree: typed values with defaults and ranges, durations,
 * address lists. A value of the wrong type or out of range is an error
 * naming the key, never silently replaced by the default, so a typo in
 * vigil.yml is seen at start rather than as a detector that never fires. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ipaddr.h"

/* At most this many entries in an address list. */
#define NETCONF_MAX_NETS 4096

/* Each getter stores the value at PATH, or DEF when the key is absent, in
 * *RET. Errors: -EINVAL with *RET_ERROR ("PATH: what was expected"; caller
 * frees; may be NULL) for a wrong type or a value outside [MIN, MAX];
 * -ENOMEM. */

/* A boolean. */
int netconf_bool(const config_t *c, const char *path, bool def, bool *ret, char **ret_error);

/* A non-negative integer. */
int netconf_uint(const config_t *c, const char *path, uint64_t def, uint64_t min, uint64_t max,
                 uint64_t *ret, char **ret_error);

/* A duration in seconds: an integer, or a string of digits with one unit
 * of s, m, h or d ("90s", "10m", "12h"). */
int netconf_seconds(const config_t *c, const char *path, uint64_t def, uint64_t min, uint64_t max,
                    uint64_t *ret, char **ret_error);

/* A size in bytes: an integer or a string like "2MiB" (config_parse_size). */
int netconf_size(const config_t *c, const char *path, uint64_t def, uint64_t min, uint64_t max,
                 uint64_t *ret, char **ret_error);

/* A string; *RET is borrowed from the configuration (or DEF). */
int netconf_str(const config_t *c, const char *path, const char *def, const char **ret,
                char **ret_error);

/* A list of addresses or CIDR networks (a single string counts as a list
 * of one). When the key is absent, the NULL-terminated DEF list is parsed
 * instead (DEF may be NULL for none). *RET (caller frees; NULL for an empty
 * list) and *RET_N. */
int netconf_nets(const config_t *c, const char *path, const char *const *def, ipnet_t **ret,
                 size_t *ret_n, char **ret_error);

/* Parse a duration string as netconf_seconds does. Returns 0 or -EINVAL. */
int netconf_parse_seconds(const char *s, uint64_t *ret);
