#include "core/yamljson.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/jsonx.h"
#include "core/text.h"

#define YAMLJSON_MAX_DEPTH 64

struct parser {
        yaml_parser_t p;
        yamljson_error_t *err;
        unsigned depth;
};

static int fail_at(struct parser *ps, const yaml_mark_t *mark, const char *msg)
{
        ps->err->line = mark->line + 1;
        ps->err->column = mark->column + 1;
        snprintf(ps->err->message, sizeof(ps->err->message), "%s", msg);
        return -EINVAL;
}

static int fail_parser(struct parser *ps)
{
        ps->err->line = ps->p.problem_mark.line + 1;
        ps->err->column = ps->p.problem_mark.column + 1;
        snprintf(ps->err->message, sizeof(ps->err->message), "%s%s%s",
                 ps->p.problem ? ps->p.problem : "invalid YAML", ps->p.context ? " " : "",
                 ps->p.context ? ps->p.context : "");
        return ps->p.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
}

static json_t *scalar_value(const yaml_event_t *ev)
{
        const char *v = (const char *)ev->data.scalar.value;
        size_t n = ev->data.scalar.length;

        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strlen(v) == n) {
                unsigned long long u;
                if (n == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)
                        return json_null();
                if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
                        return json_true();
                if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
                        return json_false();
                if (str_to_u64(v[0] == '-' ? v + 1 : v, &u) == 0 &&
                    u <= (unsigned long long)INT64_MAX)
                        return json_integer(v[0] == '-' ? -(json_int_t)u : (json_int_t)u);
        }
        return jsonx_string_lossy_n(v, n);
}

static int parse_node(struct parser *ps, yaml_event_t *ev, json_t **ret);

static int next_event(struct parser *ps, yaml_event_t *ev)
{
        if (!yaml_parser_parse(&ps->p, ev))
                return fail_parser(ps);
        return 0;
}

static int parse_mapping(struct parser *ps, const yaml_event_t *start, json_t **ret)
{
        json_t *obj = json_object();
        int r;

        if (!obj)
                return -ENOMEM;
        if (++ps->depth > YAMLJSON_MAX_DEPTH) {
                json_decref(obj);
                return fail_at(ps, &start->start_mark, "nesting too deep");
        }
        for (;;) {
                yaml_event_t kev, vev;
                json_t *val;
                char *key;

                if ((r = next_event(ps, &kev)) < 0)
                        goto fail;
                if (kev.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&kev);
                        break;
                }
                if (kev.type != YAML_SCALAR_EVENT) {
                        r = fail_at(ps, &kev.start_mark, "mapping keys must be plain strings");
                        yaml_event_delete(&kev);
                        goto fail;
                }
                key = str_ndup((const char *)kev.data.scalar.value, kev.data.scalar.length);
                if (!key) {
                        yaml_event_delete(&kev);
                        r = -ENOMEM;
                        goto fail;
                }
                if (json_object_get(obj, key)) {
                        r = fail_at(ps, &kev.start_mark, "duplicate key");
                        free(key);
                        yaml_event_delete(&kev);
                        goto fail;
                }
                yaml_event_delete(&kev);
                if ((r = next_event(ps, &vev)) < 0) {
                        free(key);
                        goto fail;
                }
                r = parse_node(ps, &vev, &val);
                yaml_event_delete(&vev);
                if (r < 0) {
                        free(key);
                        goto fail;
                }
                r = json_object_set_new(obj, key, val) < 0 ? -ENOMEM : 0;
                if (r < 0) {
                        /* An invalid UTF-8 key: keep the position in the error. */
                        r = fail_at(ps, &ps->p.mark, "mapping key is not valid UTF-8");
                        free(key);
                        goto fail;
                }
                free(key);
        }
        ps->depth--;
        *ret = obj;
        return 0;
fail:
        json_decref(obj);
        return r;
}

static int parse_sequence(struct parser *ps, const yaml_event_t *start, json_t **ret)
{
        json_t *arr = json_array();
        int r;

        if (!arr)
                return -ENOMEM;
        if (++ps->depth > YAMLJSON_MAX_DEPTH) {
                json_decref(arr);
                return fail_at(ps, &start->start_mark, "nesting too deep");
        }
        for (;;) {
                yaml_event_t ev;
                json_t *val;

                if ((r = next_event(ps, &ev)) < 0)
                        goto fail;
                if (ev.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                r = parse_node(ps, &ev, &val);
                yaml_event_delete(&ev);
                if (r < 0)
                        goto fail;
                if (json_array_append_new(arr, val) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        ps->depth--;
        *ret = arr;
        return 0;
fail:
        json_decref(arr);
        return r;
}

static int parse_node(struct parser *ps, yaml_event_t *ev, json_t **ret)
{
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                if (ev->data.scalar.anchor)
                        return fail_at(ps, &ev->start_mark, "anchors are not supported");
                *ret = scalar_value(ev);
                return *ret ? 0 : -ENOMEM;
        case YAML_MAPPING_START_EVENT:
                if (ev->data.mapping_start.anchor)
                        return fail_at(ps, &ev->start_mark, "anchors are not supported");
                return parse_mapping(ps, ev, ret);
        case YAML_SEQUENCE_START_EVENT:
                if (ev->data.sequence_start.anchor)
                        return fail_at(ps, &ev->start_mark, "anchors are not supported");
                return parse_sequence(ps, ev, ret);
        case YAML_ALIAS_EVENT:
                return fail_at(ps, &ev->start_mark, "aliases are not supported");
        default:
                return fail_at(ps, &ev->start_mark, "unexpected YAML structure");
        }
}

int yamljson_parse(const char *data, size_t n, json_t **ret, yamljson_error_t *err)
{
        yamljson_error_t dummy;
        struct parser ps = { .err = err ? err : &dummy };
        json_t *doc = NULL;
        bool seen_doc = false;
        int r = 0;

        memset(ps.err, 0, sizeof(*ps.err));
        if (!yaml_parser_initialize(&ps.p))
                return -ENOMEM;
        yaml_parser_set_input_string(&ps.p, (const unsigned char *)data, n);
        for (;;) {
                yaml_event_t ev;
                if ((r = next_event(&ps, &ev)) < 0)
                        break;
                if (ev.type == YAML_STREAM_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                if (ev.type == YAML_DOCUMENT_START_EVENT) {
                        if (seen_doc) {
                                r = fail_at(&ps, &ev.start_mark, "more than one YAML document");
                                yaml_event_delete(&ev);
                                break;
                        }
                        seen_doc = true;
                } else if (ev.type != YAML_STREAM_START_EVENT &&
                           ev.type != YAML_DOCUMENT_END_EVENT) {
                        r = parse_node(&ps, &ev, &doc);
                        if (r < 0) {
                                yaml_event_delete(&ev);
                                break;
                        }
                }
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&ps.p);
        if (r < 0) {
                json_decref(doc);
                return r;
        }
        *ret = doc ? doc : json_null();
        return 0;
}
