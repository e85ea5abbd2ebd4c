/* Load YAML (libyaml) into a jansson tree, for configuration and policy
 * files. Scalars become strings (plain scalars that look like integers,
 * booleans or null become those types); mappings become objects with keys
 * in file order; sequences become arrays. Anchors and aliases are refused:
 * a config file has no need for them and they allow "billion laughs"
 * expansion. */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Where a parse failed, for an error message "FILE:LINE:COLUMN: MESSAGE". */
typedef struct yamljson_error {
        unsigned long line;   /* 1-based, 0 when unknown */
        unsigned long column; /* 1-based, 0 when unknown */
        char message[256];
} yamljson_error_t;

/* Parse N bytes of YAML holding exactly one document (an empty input gives a
 * JSON null). Nesting deeper than 64 levels is an error. Returns 0 and a new
 * reference in *RET, -EINVAL with ERR filled in for bad input, or -ENOMEM. */
int yamljson_parse(const char *data, size_t n, json_t **ret, yamljson_error_t *err);
