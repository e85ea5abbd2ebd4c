/* vigil's configuration file (YAML, default /etc/vigil/vigil.yml), read once
 * at start into a tree that the commands query by dotted path
 * ("scan.apps.roots"). Parsing is apart from use: modules receive plain
 * values from the command that owns the config, never the file. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "core/text.h"

#define CONFIG_DEFAULT_PATH "/etc/vigil/vigil.yml"
/* Configuration files larger than this are refused. */
#define CONFIG_MAX_SIZE (4 * MiB)

typedef struct config {
        json_t *root; /* always an object (empty when no file was read) */
        char *path;   /* file read, or NULL */
} config_t;

/* Load PATH. When the file does not exist and MUST_EXIST is false, an empty
 * configuration is returned. On a bad file returns -EINVAL and *RET_ERROR
 * holds "PATH:LINE:COLUMN: message" (caller frees). Other errors: a negative
 * errno (and *RET_ERROR names the file too). */
int config_load(const char *path, bool must_exist, config_t **ret, char **ret_error);
/* An empty configuration (never NULL unless out of memory). */
config_t *config_new_empty(void);
void config_free(config_t *c);
static inline void config_freep(config_t **c)
{
        config_free(*c);
}
#define _cleanup_config_ _cleanup_(config_freep)

/* The value at dotted PATH, or NULL. Borrowed. */
json_t *config_get(const config_t *c, const char *path);
/* Typed getters return DEF when the key is missing; a value of the wrong type
 * gives -EINVAL from the *_checked forms. */
const char *config_get_str(const config_t *c, const char *path, const char *def);
long long config_get_int(const config_t *c, const char *path, long long def);
bool config_get_bool(const config_t *c, const char *path, bool def);
/* A list of strings (a single string counts as a list of one). Returns 0,
 * -ENOENT when missing, -EINVAL when not strings, -ENOMEM. */
int config_get_strv(const config_t *c, const char *path, strv_t *ret);
/* A size: an integer of bytes or a string like "64MiB", "2G", "512k".
 * Returns 0, -ENOENT when missing or -EINVAL. */
int config_get_size(const config_t *c, const char *path, unsigned long long *ret);
/* Parse a size string as above. */
int config_parse_size(const char *s, unsigned long long *ret);
