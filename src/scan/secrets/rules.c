#include "scan/secrets/rules.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/rootfs.h"
#include "core/yamljson.h"

/* Cap on one expanded test text. */
#define EXPAND_MAX (64 * KiB)
/* Longest generated run in a test template. */
#define EXPAND_RUN_MAX 4096

static void rule_clear(secrets_rule_t *r)
{
        free(r->id);
        free(r->title);
        free(r->description);
        strv_clear(&r->keywords);
        free(r->pattern);
        free(r->trigger);
        strv_clear(&r->ignore_secret);
        strv_clear(&r->ignore_match);
        free(r->remediation);
        strv_clear(&r->references);
        strv_clear(&r->tests_match);
        strv_clear(&r->tests_no_match);
}

void secrets_rules_free(secrets_rules_t *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                rule_clear(&r->rules[i]);
        free(r->rules);
        strv_clear(&r->ph_exact);
        strv_clear(&r->ph_contains);
        strv_clear(&r->ph_regex);
        free(r->source);
        free(r);
}

const secrets_rule_t *secrets_rules_find(const secrets_rules_t *r, const char *id)
{
        for (size_t i = 0; i < r->n; i++)
                if (strcmp(r->rules[i].id, id) == 0)
                        return &r->rules[i];
        return NULL;
}

/* Parsing state: where errors go. */
struct ctx {
        const char *source;
        char **error;
        const char *rule; /* id of the rule being read, for messages */
        size_t index;     /* its position (1-based) */
};

_printf_(2, 3) static int fail(struct ctx *c, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        free(*c->error);
        if (c->rule)
                *c->error = str_printf("%s: rule '%s': %s", c->source, c->rule, msg);
        else if (c->index)
                *c->error = str_printf("%s: rule #%zu: %s", c->source, c->index, msg);
        else
                *c->error = str_printf("%s: %s", c->source, msg);
        free(msg);
        return *c->error ? -EINVAL : -ENOMEM;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
        for (size_t i = 0; allowed[i]; i++)
                if (strcmp(key, allowed[i]) == 0)
                        return true;
        return false;
}

static int check_keys(struct ctx *c, json_t *obj, const char *what, const char *const *allowed)
{
        const char *key;
        json_t *v;

        json_object_foreach (obj, key, v) {
                if (!key_allowed(key, allowed))
                        return fail(c, "unknown key '%s' in %s", key, what);
        }
        return 0;
}

/* A string value: plain YAML scalars that look like numbers or booleans
 * are kept as those types by the YAML reader, so turn them back. */
static int get_str(struct ctx *c, json_t *obj, const char *key, bool required, size_t max,
                   char **ret)
{
        json_t *v = json_object_get(obj, key);
        char *s;

        if (!v || json_is_null(v)) {
                if (required)
                        return fail(c, "'%s' is required", key);
                *ret = NULL;
                return 0;
        }
        if (json_is_string(v))
                s = strdup(json_string_value(v));
        else if (json_is_integer(v))
                s = str_printf("%lld", (long long)json_integer_value(v));
        else
                return fail(c, "'%s' must be a string", key);
        if (!s)
                return -ENOMEM;
        if (!*s && required) {
                free(s);
                return fail(c, "'%s' must not be empty", key);
        }
        if (strlen(s) > max) {
                free(s);
                return fail(c, "'%s' is longer than %zu bytes", key, max);
        }
        *ret = s;
        return 0;
}

static int get_strv(struct ctx *c, json_t *obj, const char *key, size_t max_items, size_t max_len,
                    strv_t *ret)
{
        json_t *v = json_object_get(obj, key), *e;
        size_t i;
        int r;

        if (!v || json_is_null(v))
                return 0;
        if (json_is_string(v)) {
                if (json_string_length(v) > max_len)
                        return fail(c, "'%s' has an entry longer than %zu bytes", key, max_len);
                return strv_push(ret, json_string_value(v));
        }
        if (!json_is_array(v))
                return fail(c, "'%s' must be a list of strings", key);
        if (json_array_size(v) > max_items)
                return fail(c, "'%s' has more than %zu entries", key, max_items);
        json_array_foreach (v, i, e) {
                _cleanup_free_ char *s = NULL;
                if (json_is_string(e))
                        s = strdup(json_string_value(e));
                else if (json_is_integer(e))
                        s = str_printf("%lld", (long long)json_integer_value(e));
                else
                        return fail(c, "'%s' entry %zu must be a string", key, i + 1);
                if (!s)
                        return -ENOMEM;
                if (strlen(s) > max_len)
                        return fail(c, "'%s' entry %zu is longer than %zu bytes", key, i + 1,
                                    max_len);
                if ((r = strv_push(ret, s)) < 0)
                        return r;
        }
        return 0;
}

static int get_uint(struct ctx *c, json_t *obj, const char *key, unsigned max, unsigned def,
                    unsigned *ret)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > (json_int_t)max)
                return fail(c, "'%s' must be an integer from 0 to %u", key, max);
        *ret = (unsigned)json_integer_value(v);
        return 0;
}

static int get_bool(struct ctx *c, json_t *obj, const char *key, bool def, bool *ret)
{
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return fail(c, "'%s' must be true or false", key);
        *ret = json_is_true(v);
        return 0;
}

static int get_entropy(struct ctx *c, json_t *obj, double *ret)
{
        json_t *v = json_object_get(obj, "entropy");
        double d;

        *ret = 0;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v))
                d = (double)json_integer_value(v);
        else if (json_is_real(v))
                d = json_real_value(v);
        else if (json_is_string(v)) {
                const char *s = json_string_value(v);
                char *end;
                errno = 0;
                d = strtod(s, &end);
                if (errno || end == s || *end)
                        return fail(c, "'entropy' must be a number");
        } else
                return fail(c, "'entropy' must be a number");
        if (!(d >= 0 && d <= 8))
                return fail(c, "'entropy' must be between 0 and 8 bits per byte");
        *ret = d;
        return 0;
}

static bool valid_id(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 64)
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (size_t i = 1; i < n; i++) {
                char ch = s[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                      ch == '.'))
                        return false;
        }
        return true;
}

static int parse_level(struct ctx *c, json_t *rule, finding_level_t *ret)
{
        json_t *v = json_object_get(rule, "level");
        const char *s = json_string_value(v);

        if (!s)
                return fail(c, "'level' is required (high, medium or low)");
        if (strcmp(s, "high") == 0)
                *ret = FINDING_HIGH;
        else if (strcmp(s, "medium") == 0)
                *ret = FINDING_MEDIUM;
        else if (strcmp(s, "low") == 0)
                *ret = FINDING_LOW;
        else
                return fail(c, "'level' must be high, medium or low, not '%s'", s);
        return 0;
}

static char ascii_lower(char ch)
{
        return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

/* Case-insensitive substring test for ASCII text. */
static bool contains_ci(const char *hay, const char *needle)
{
        size_t n = strlen(needle);

        if (!n)
                return true;
        for (; *hay; hay++) {
                size_t i = 0;
                while (i < n && hay[i] && ascii_lower(hay[i]) == ascii_lower(needle[i]))
                        i++;
                if (i == n)
                        return true;
        }
        return false;
}

static int parse_rule(struct ctx *c, json_t *obj, secrets_rule_t *r)
{
        static const char *const allowed[] = {
                "id",
                "title",
                "description",
                "level",
                "keywords",
                "pattern",
                "trigger",
                "window",
                "entropy",
                "min_classes",
                "normalize",
                "placeholders",
                "ignore_secret",
                "ignore_match",
                "remediation",
                "references",
                "tests",
                NULL,
        };
        static const char *const window_keys[] = { "lines_before", "lines_after", "bytes", "start",
                                                   NULL };
        static const char *const test_keys[] = { "match", "no_match", NULL };
        json_t *window, *tests;
        int ret;

        if (!json_is_object(obj))
                return fail(c, "each rule must be a mapping");
        if ((ret = get_str(c, obj, "id", true, 64, &r->id)) < 0)
                return ret;
        if (!valid_id(r->id))
                return fail(c, "id '%s' must be lowercase letters, digits, '-' and '.'", r->id);
        c->rule = r->id;
        if ((ret = check_keys(c, obj, "a rule", allowed)) < 0 ||
            (ret = get_str(c, obj, "title", true, 200, &r->title)) < 0 ||
            (ret = get_str(c, obj, "description", false, 4096, &r->description)) < 0 ||
            (ret = parse_level(c, obj, &r->level)) < 0 ||
            (ret = get_strv(c, obj, "keywords", 64, 64, &r->keywords)) < 0 ||
            (ret = get_str(c, obj, "pattern", true, SECRETS_RULES_MAX_REGEX, &r->pattern)) < 0 ||
            (ret = get_str(c, obj, "trigger", false, SECRETS_RULES_MAX_REGEX, &r->trigger)) < 0 ||
            (ret = get_entropy(c, obj, &r->entropy)) < 0 ||
            (ret = get_uint(c, obj, "min_classes", 4, 0, &r->min_classes)) < 0 ||
            (ret = get_bool(c, obj, "normalize", false, &r->normalize)) < 0 ||
            (ret = get_bool(c, obj, "placeholders", true, &r->placeholders)) < 0 ||
            (ret = get_strv(c, obj, "ignore_secret", 64, SECRETS_RULES_MAX_REGEX,
                            &r->ignore_secret)) < 0 ||
            (ret = get_strv(c, obj, "ignore_match", 64, SECRETS_RULES_MAX_REGEX,
                            &r->ignore_match)) < 0 ||
            (ret = get_str(c, obj, "remediation", false, 8192, &r->remediation)) < 0 ||
            (ret = get_strv(c, obj, "references", 32, 1024, &r->references)) < 0)
                return ret;
        if (r->keywords.n == 0)
                return fail(c, "'keywords' needs at least one literal");
        for (size_t i = 0; i < r->keywords.n; i++)
                if (!*r->keywords.v[i])
                        return fail(c, "keywords must not be empty");
        if (r->trigger && !*r->trigger) {
                free(r->trigger);
                r->trigger = NULL;
        }
        window = json_object_get(obj, "window");
        if (window && !json_is_null(window)) {
                if (!r->trigger)
                        return fail(c, "'window' needs a 'trigger'");
                if (!json_is_object(window))
                        return fail(c, "'window' must be a mapping");
                if ((ret = check_keys(c, window, "'window'", window_keys)) < 0 ||
                    (ret = get_uint(c, window, "lines_before", SECRETS_RULES_MAX_WINDOW_LINES, 0,
                                    &r->lines_before)) < 0 ||
                    (ret = get_uint(c, window, "lines_after", SECRETS_RULES_MAX_WINDOW_LINES, 0,
                                    &r->lines_after)) < 0 ||
                    (ret = get_uint(c, window, "bytes", SECRETS_RULES_MAX_WINDOW, 1024,
                                    &r->window_bytes)) < 0)
                        return ret;
                if (json_object_get(window, "start")) {
                        const char *st = json_string_value(json_object_get(window, "start"));
                        if (!st || (strcmp(st, "line") != 0 && strcmp(st, "trigger") != 0))
                                return fail(c, "'window.start' must be line or trigger");
                        r->window_at_trigger = strcmp(st, "trigger") == 0;
                        if (r->window_at_trigger && r->lines_before)
                                return fail(c, "'window.start: trigger' needs lines_before 0");
                }
        } else
                r->window_bytes = 1024;
        if (r->trigger && r->window_bytes == 0)
                return fail(c, "'window.bytes' must be more than 0");
        tests = json_object_get(obj, "tests");
        if (tests && !json_is_null(tests)) {
                if (!json_is_object(tests))
                        return fail(c, "'tests' must be a mapping with 'match' and 'no_match'");
                if ((ret = check_keys(c, tests, "'tests'", test_keys)) < 0 ||
                    (ret = get_strv(c, tests, "match", 256, 16 * KiB, &r->tests_match)) < 0 ||
                    (ret = get_strv(c, tests, "no_match", 256, 16 * KiB, &r->tests_no_match)) < 0)
                        return ret;
        }
        /* Keywords are the rule's promise of what every match contains;
         * check the promise against the rule's own examples. */
        for (size_t i = 0; i < r->tests_match.n; i++) {
                bool found = false;
                for (size_t k = 0; k < r->keywords.n && !found; k++)
                        found = contains_ci(r->tests_match.v[i], r->keywords.v[k]);
                if (!found)
                        return fail(c, "test %zu contains none of the keywords", i + 1);
        }
        c->rule = NULL;
        return 0;
}

static int parse_placeholders(struct ctx *c, json_t *obj, secrets_rules_t *rs)
{
        static const char *const allowed[] = { "exact", "contains",     "contains_max_length",
                                               "regex", "min_distinct", NULL };
        unsigned max_len;
        int ret;

        if (!obj || json_is_null(obj))
                return 0;
        if (!json_is_object(obj))
                return fail(c, "'placeholders' must be a mapping");
        if ((ret = check_keys(c, obj, "'placeholders'", allowed)) < 0 ||
            (ret = get_strv(c, obj, "exact", 1024, 1024, &rs->ph_exact)) < 0 ||
            (ret = get_strv(c, obj, "contains", 256, 64, &rs->ph_contains)) < 0 ||
            (ret = get_strv(c, obj, "regex", 256, SECRETS_RULES_MAX_REGEX, &rs->ph_regex)) < 0 ||
            (ret = get_uint(c, obj, "min_distinct", 64, 0, &rs->ph_min_distinct)) < 0 ||
            (ret = get_uint(c, obj, "contains_max_length", 1 << 20, 128, &max_len)) < 0)
                return ret;
        for (size_t i = 0; i < rs->ph_contains.n; i++)
                if (!*rs->ph_contains.v[i])
                        return fail(c, "'placeholders.contains' entries must not be empty");
        rs->ph_contains_max_len = max_len;
        return 0;
}

int secrets_rules_parse(const char *data, size_t n, const char *source, secrets_rules_t **ret,
                        char **ret_error)
{
        static const char *const allowed[] = { "version", "placeholders", "rules", NULL };
        _cleanup_free_ char *error = NULL;
        struct ctx c = { .source = source ? source : "rules", .error = &error };
        secrets_rules_t *rs = NULL;
        yamljson_error_t yerr;
        json_t *doc = NULL, *rules, *ver, *e;
        size_t i;
        int r;

        *ret_error = NULL;
        if (n > SECRETS_RULES_MAX_SIZE) {
                r = fail(&c, "file is larger than %zu bytes", SECRETS_RULES_MAX_SIZE);
                goto out;
        }
        r = yamljson_parse(data, n, &doc, &yerr);
        if (r == -EINVAL) {
                free(error);
                error = str_printf("%s:%lu:%lu: %s", c.source, yerr.line, yerr.column,
                                   yerr.message);
                r = error ? -EINVAL : -ENOMEM;
                goto out;
        }
        if (r < 0)
                goto out;
        if (!json_is_object(doc)) {
                r = fail(&c, "the rules file must be a mapping with 'version' and 'rules'");
                goto out;
        }
        if ((r = check_keys(&c, doc, "the rules file", allowed)) < 0)
                goto out;
        ver = json_object_get(doc, "version");
        if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
                r = fail(&c, "'version' must be 1");
                goto out;
        }
        rules = json_object_get(doc, "rules");
        if (!json_is_array(rules) || json_array_size(rules) == 0) {
                r = fail(&c, "'rules' must be a non-empty list");
                goto out;
        }
        if (json_array_size(rules) > SECRETS_RULES_MAX) {
                r = fail(&c, "more than %d rules", SECRETS_RULES_MAX);
                goto out;
        }
        rs = calloc(1, sizeof(*rs));
        if (!rs || !(rs->source = strdup(c.source)) ||
            !(rs->rules = calloc(json_array_size(rules), sizeof(*rs->rules)))) {
                r = -ENOMEM;
                goto out;
        }
        rs->ph_contains_max_len = 128;
        if ((r = parse_placeholders(&c, json_object_get(doc, "placeholders"), rs)) < 0)
                goto out;
        json_array_foreach (rules, i, e) {
                c.index = i + 1;
                r = parse_rule(&c, e, &rs->rules[rs->n]);
                rs->n++;
                if (r < 0)
                        goto out;
                for (size_t k = 0; k + 1 < rs->n; k++)
                        if (strcmp(rs->rules[k].id, rs->rules[rs->n - 1].id) == 0) {
                                c.rule = rs->rules[rs->n - 1].id;
                                r = fail(&c, "duplicate rule id");
                                goto out;
                        }
        }
        *ret = rs;
        rs = NULL;
        r = 0;
out:
        json_decref(doc);
        secrets_rules_free(rs);
        if (r == -EINVAL)
                *ret_error = TAKE_PTR(error);
        return r;
}

int secrets_rules_load(const char *path, secrets_rules_t **ret, char **ret_error)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int fd, r;

        *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                *ret_error = str_printf("%s: %s", path, strerror(-r));
                return r;
        }
        r = rootfs_read_fd(fd, SECRETS_RULES_MAX_SIZE, &data, &len);
        close(fd);
        if (r < 0) {
                *ret_error = str_printf("%s: %s", path,
                                        r == -EFBIG    ? "file is larger than 1 MiB"
                                        : r == -EINVAL ? "not a regular file"
                                                       : strerror(-r));
                return r;
        }
        return secrets_rules_parse(data, len, path, ret, ret_error);
}

/* splitmix64: small, fast and good enough to draw test characters. */
static uint64_t next_rand(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static const char *charset_of(const char *name, size_t n)
{
        static const struct {
                const char *name;
                const char *chars;
        } sets[] = {
                { "upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
                { "lower", "abcdefghijklmnopqrstuvwxyz" },
                { "digit", "0123456789" },
                { "alnum", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" },
                { "hex", "0123456789abcdef" },
                { "base32", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
                { "base64", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" },
                { "base64url", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" },
        };
        for (size_t i = 0; i < ELEMENTSOF(sets); i++)
                if (strlen(sets[i].name) == n && memcmp(sets[i].name, name, n) == 0)
                        return sets[i].chars;
        return NULL;
}

int secrets_rules_expand_test(const char *tmpl, uint64_t *seed, char **ret, size_t *ret_len,
                              size_t *ret_secret_off, size_t *ret_secret_len)
{
        _cleanup_buf_ buf_t b = { 0 };
        size_t soff = 0, send = 0;
        bool open_mark = false, had_mark = false;
        const char *p = tmpl;
        int r;

        buf_init(&b, EXPAND_MAX);
        while (*p) {
                if (p[0] == '{' && p[1] == '{') {
                        const char *end = strstr(p + 2, "}}");
                        const char *colon, *chars;
                        unsigned long long count;
                        char num[16];
                        size_t nlen, clen;

                        if (!end)
                                return -EINVAL;
                        colon = memchr(p + 2, ':', (size_t)(end - (p + 2)));
                        if (!colon)
                                return -EINVAL;
                        chars = charset_of(p + 2, (size_t)(colon - (p + 2)));
                        nlen = (size_t)(end - (colon + 1));
                        if (!chars || nlen == 0 || nlen >= sizeof(num))
                                return -EINVAL;
                        memcpy(num, colon + 1, nlen);
                        num[nlen] = 0;
                        if (str_to_u64(num, &count) < 0 || count == 0 || count > EXPAND_RUN_MAX)
                                return -EINVAL;
                        clen = strlen(chars);
                        for (unsigned long long i = 0; i < count; i++) {
                                char ch = chars[next_rand(seed) % clen];
                                if ((r = buf_append(&b, &ch, 1)) < 0)
                                        return r;
                        }
                        p = end + 2;
                } else if (p[0] == '[' && p[1] == '[') {
                        if (had_mark)
                                return -EINVAL;
                        open_mark = had_mark = true;
                        soff = b.len;
                        p += 2;
                } else if (p[0] == ']' && p[1] == ']' && open_mark) {
                        open_mark = false;
                        send = b.len;
                        p += 2;
                } else {
                        if ((r = buf_append(&b, p, 1)) < 0)
                                return r;
                        p++;
                }
        }
        if (open_mark)
                return -EINVAL;
        *ret_len = b.len;
        *ret = buf_take(&b);
        if (!*ret)
                return -ENOMEM;
        *ret_secret_off = had_mark ? soff : 0;
        *ret_secret_len = had_mark ? send - soff : 0;
        return 0;
}
