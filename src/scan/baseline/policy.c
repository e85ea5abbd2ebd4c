#include "scan/baseline/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/yamljson.h"

/* A check id is shown in finding ids and messages; keep it short and plain. */
#define POLICY_MAX_ID 64

struct loader {
        yaml_document_t *doc;
        const char *path;
        strv_t *diags;
        rule_vars_t vars;
        rule_dialect_t dialect;
        int oom; /* set when a diagnostic could not be stored */
};

static void diag(struct loader *ld, const yaml_node_t *at, const char *check_id, const char *fmt,
                 ...) _printf_(4, 5);
static void diag(struct loader *ld, const yaml_node_t *at, const char *check_id, const char *fmt,
                 ...)
{
        char msg[1024];
        char *line;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        line = str_printf(
                "%s:%lu:%lu: %s%s%s%s", ld->path, at ? (unsigned long)at->start_mark.line + 1 : 1UL,
                at ? (unsigned long)at->start_mark.column + 1 : 1UL, msg,
                check_id ? " (check " : "", check_id ? check_id : "", check_id ? ")" : "");
        if (!line || strv_push_take(ld->diags, line) < 0)
                ld->oom = 1;
}

static yaml_node_t *node(struct loader *ld, int index)
{
        return yaml_document_get_node(ld->doc, index);
}

/* The value of scalar N as a C string, or NULL when N is not a scalar or
 * holds a NUL byte (possible with "\0" escapes). Borrowed. */
static const char *scalar(const yaml_node_t *n)
{
        if (!n || n->type != YAML_SCALAR_NODE)
                return NULL;
        if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
                return NULL;
        return (const char *)n->data.scalar.value;
}

static yaml_node_t *map_get(struct loader *ld, const yaml_node_t *map, const char *key)
{
        if (!map || map->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
             p++) {
                const char *k = scalar(node(ld, p->key));
                if (k && strcmp(k, key) == 0)
                        return node(ld, p->value);
        }
        return NULL;
}

/* Copy an optional string field. Returns 0 (absent or copied), -EINVAL when
 * present but not a scalar, -ENOMEM. */
static int opt_string(struct loader *ld, const yaml_node_t *map, const char *key, char **ret,
                      const char *check_id)
{
        yaml_node_t *n = map_get(ld, map, key);
        const char *s;

        if (!n)
                return 0;
        if (!(s = scalar(n))) {
                diag(ld, n, check_id, "'%s' must be a text", key);
                return -EINVAL;
        }
        free(*ret);
        return (*ret = strdup(s)) ? 0 : -ENOMEM;
}

/* A list of strings: a sequence of scalars, or one scalar. */
static int opt_strv(struct loader *ld, const yaml_node_t *map, const char *key, strv_t *ret,
                    const char *check_id)
{
        yaml_node_t *n = map_get(ld, map, key);
        const char *s;

        if (!n)
                return 0;
        if ((s = scalar(n)))
                return *s ? strv_push(ret, s) : 0;
        if (n->type != YAML_SEQUENCE_NODE) {
                diag(ld, n, check_id, "'%s' must be a list of texts", key);
                return -EINVAL;
        }
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                yaml_node_t *item = node(ld, *i);
                if (!(s = scalar(item))) {
                        diag(ld, item, check_id, "'%s' must be a list of texts", key);
                        return -EINVAL;
                }
                if (strv_push(ret, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* compliance: [{cis: ["5.2.10", …]}, {gdpr: ["32"]}] (a single mapping is
 * accepted too), flattened to "cis:5.2.10". */
static int load_compliance(struct loader *ld, const yaml_node_t *check, strv_t *ret,
                           const char *check_id)
{
        yaml_node_t *n = map_get(ld, check, "compliance");
        yaml_node_item_t one, *start, *top;

        if (!n)
                return 0;
        if (n->type == YAML_MAPPING_NODE) {
                one = (yaml_node_item_t)(n - ld->doc->nodes.start + 1);
                start = &one;
                top = &one + 1;
        } else if (n->type == YAML_SEQUENCE_NODE) {
                start = n->data.sequence.items.start;
                top = n->data.sequence.items.top;
        } else {
                diag(ld, n, check_id, "'compliance' must be a list of 'name: [ids]' entries");
                return -EINVAL;
        }
        for (yaml_node_item_t *i = start; i < top; i++) {
                yaml_node_t *m = node(ld, *i);
                if (!m || m->type != YAML_MAPPING_NODE) {
                        diag(ld, m, check_id,
                             "'compliance' must be a list of 'name: [ids]' entries");
                        return -EINVAL;
                }
                for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
                     p < m->data.mapping.pairs.top; p++) {
                        const char *tag = scalar(node(ld, p->key));
                        yaml_node_t *ids = node(ld, p->value);
                        const char *s;
                        if (!tag || !*tag) {
                                diag(ld, node(ld, p->key), check_id,
                                     "compliance names must be texts");
                                return -EINVAL;
                        }
                        if ((s = scalar(ids))) {
                                char *t = str_printf("%s:%s", tag, s);
                                if (!t || strv_push_take(ret, t) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        if (!ids || ids->type != YAML_SEQUENCE_NODE) {
                                diag(ld, ids, check_id, "compliance '%s' must list its ids", tag);
                                return -EINVAL;
                        }
                        for (yaml_node_item_t *j = ids->data.sequence.items.start;
                             j < ids->data.sequence.items.top; j++) {
                                char *t;
                                if (!(s = scalar(node(ld, *j)))) {
                                        diag(ld, node(ld, *j), check_id,
                                             "compliance '%s' ids must be texts", tag);
                                        return -EINVAL;
                                }
                                t = str_printf("%s:%s", tag, s);
                                if (!t)
                                        return -ENOMEM;
                                if (strv_contains(ret, t)) {
                                        free(t);
                                        continue;
                                }
                                if (strv_push_take(ret, t) < 0)
                                        return -ENOMEM;
                        }
                }
        }
        return 0;
}

static int parse_condition(const char *s, policy_condition_t *ret)
{
        /* "all required"/"any required" are old spellings Wazuh still takes. */
        if (strcmp(s, "all") == 0 || strcmp(s, "all required") == 0)
                *ret = POLICY_ALL;
        else if (strcmp(s, "any") == 0 || strcmp(s, "any required") == 0)
                *ret = POLICY_ANY;
        else if (strcmp(s, "none") == 0)
                *ret = POLICY_NONE;
        else
                return -EINVAL;
        return 0;
}

const char *policy_condition_name(policy_condition_t c)
{
        return c == POLICY_ALL ? "all" : c == POLICY_ANY ? "any" : "none";
}

static void check_clear(policy_check_t *c)
{
        free(c->id);
        free(c->title);
        free(c->description);
        free(c->rationale);
        free(c->remediation);
        strv_clear(&c->compliance);
        strv_clear(&c->references);
        strv_clear(&c->tags);
        for (size_t i = 0; i < c->n_rules; i++)
                rule_free(c->rules[i]);
        free(c->rules);
        memset(c, 0, sizeof(*c));
}

void policy_free(policy_t *p)
{
        if (!p)
                return;
        free(p->path);
        free(p->id);
        free(p->file);
        free(p->name);
        free(p->description);
        strv_clear(&p->references);
        check_clear(&p->requirements);
        for (size_t i = 0; i < p->n_checks; i++)
                check_clear(&p->checks[i]);
        free(p->checks);
        free(p);
}

/* Condition and rules, shared by checks and requirements. Returns 0,
 * -EINVAL (diagnosed) or -ENOMEM. */
static int load_logic(struct loader *ld, const yaml_node_t *m, policy_check_t *c,
                      rule_dialect_t dialect, const char *check_id)
{
        yaml_node_t *cond = map_get(ld, m, "condition");
        yaml_node_t *rules = map_get(ld, m, "rules");
        const char *s;
        size_t n;

        if (!cond) {
                diag(ld, m, check_id, "missing 'condition' (all, any or none)");
                return -EINVAL;
        }
        if (!(s = scalar(cond)) || parse_condition(s, &c->condition) < 0) {
                diag(ld, cond, check_id, "'condition' must be all, any or none");
                return -EINVAL;
        }
        if (!rules) {
                diag(ld, m, check_id, "missing 'rules'");
                return -EINVAL;
        }
        if (rules->type != YAML_SEQUENCE_NODE) {
                diag(ld, rules, check_id, "'rules' must be a list of rule texts");
                return -EINVAL;
        }
        n = (size_t)(rules->data.sequence.items.top - rules->data.sequence.items.start);
        if (n == 0) {
                diag(ld, rules, check_id, "'rules' is empty");
                return -EINVAL;
        }
        if (n > POLICY_MAX_RULES) {
                diag(ld, rules, check_id, "more than %d rules", POLICY_MAX_RULES);
                return -EINVAL;
        }
        if (!(c->rules = calloc(n, sizeof(*c->rules))))
                return -ENOMEM;
        for (yaml_node_item_t *i = rules->data.sequence.items.start;
             i < rules->data.sequence.items.top; i++) {
                yaml_node_t *rn = node(ld, *i);
                _cleanup_free_ char *err = NULL;
                rule_t *r = NULL;
                int rc;

                if (!(s = scalar(rn)) || !*s) {
                        diag(ld, rn, check_id, "a rule must be a non-empty text");
                        return -EINVAL;
                }
                rc = rule_parse(s, dialect, &ld->vars, &r, &err);
                if (rc == -ENOMEM)
                        return rc;
                if (rc < 0) {
                        diag(ld, rn, check_id, "%s", err ? err : "invalid rule");
                        return -EINVAL;
                }
                if (r->warning)
                        diag(ld, rn, check_id, "%s", r->warning);
                c->rules[c->n_rules++] = r;
        }
        return 0;
}

static bool valid_id(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > POLICY_MAX_ID)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
                        return false;
        return true;
}

static int dialect_of(struct loader *ld, const yaml_node_t *m, rule_dialect_t def,
                      rule_dialect_t *ret, const char *check_id)
{
        yaml_node_t *n = map_get(ld, m, "regex_type");
        const char *s;

        *ret = def;
        if (!n)
                return 0;
        s = scalar(n);
        if (s && strcmp(s, "pcre2") == 0)
                *ret = RULE_DIALECT_PCRE2;
        else if (s && (strcmp(s, "osregex") == 0 || strcmp(s, "os_regex") == 0))
                *ret = RULE_DIALECT_OSREGEX;
        else {
                diag(ld, n, check_id, "'regex_type' must be osregex or pcre2");
                return -EINVAL;
        }
        return 0;
}

/* Load one check. Returns 0, -EINVAL when the check is to be dropped (it was
 * diagnosed), -ENOMEM. */
static int load_check(struct loader *ld, const yaml_node_t *m, size_t index, policy_check_t *c)
{
        yaml_node_t *idn, *lv;
        const char *s;
        char fallback[48];
        rule_dialect_t dialect;
        int rc;

        c->line = m->start_mark.line + 1;
        c->column = m->start_mark.column + 1;
        snprintf(fallback, sizeof(fallback), "#%zu", index + 1);
        if (m->type != YAML_MAPPING_NODE) {
                diag(ld, m, fallback, "a check must be a mapping");
                return -EINVAL;
        }
        idn = map_get(ld, m, "id");
        if (!idn) {
                diag(ld, m, fallback, "missing 'id'");
                return -EINVAL;
        }
        if (!(s = scalar(idn)) || !valid_id(s)) {
                diag(ld, idn, fallback,
                     "'id' must be a number or a name of letters, digits, '.', '_', '-' (at "
                     "most %d)",
                     POLICY_MAX_ID);
                return -EINVAL;
        }
        if (!(c->id = strdup(s)))
                return -ENOMEM;
        if (!(s = scalar(map_get(ld, m, "title"))) || !*s) {
                yaml_node_t *t = map_get(ld, m, "title");
                diag(ld, t ? t : m, c->id, "%s", t ? "'title' must be a text" : "missing 'title'");
                return -EINVAL;
        }
        if (!(c->title = strdup(s)))
                return -ENOMEM;
        if ((rc = opt_string(ld, m, "description", &c->description, c->id)) < 0 ||
            (rc = opt_string(ld, m, "rationale", &c->rationale, c->id)) < 0 ||
            (rc = opt_string(ld, m, "remediation", &c->remediation, c->id)) < 0 ||
            (rc = opt_strv(ld, m, "references", &c->references, c->id)) < 0 ||
            (rc = opt_strv(ld, m, "tags", &c->tags, c->id)) < 0 ||
            (rc = load_compliance(ld, m, &c->compliance, c->id)) < 0)
                return rc;
        c->level = FINDING_LOW;
        if ((lv = map_get(ld, m, "level"))) {
                s = scalar(lv);
                if (s && strcmp(s, "high") == 0)
                        c->level = FINDING_HIGH;
                else if (s && strcmp(s, "medium") == 0)
                        c->level = FINDING_MEDIUM;
                else if (s && strcmp(s, "low") == 0)
                        c->level = FINDING_LOW;
                else {
                        diag(ld, lv, c->id, "'level' must be high, medium or low");
                        return -EINVAL;
                }
                c->level_given = true;
        }
        if ((lv = map_get(ld, m, "missing"))) {
                s = scalar(lv);
                if (s && strcmp(s, "no-match") == 0)
                        c->missing_no_match = true;
                else if (!s || strcmp(s, "not-applicable") != 0) {
                        diag(ld, lv, c->id, "'missing' must be no-match or not-applicable");
                        return -EINVAL;
                }
        }
        if ((rc = dialect_of(ld, m, ld->dialect, &dialect, c->id)) < 0)
                return rc;
        return load_logic(ld, m, c, dialect, c->id);
}

static int load_variables(struct loader *ld, const yaml_node_t *vars)
{
        if (!vars)
                return 0;
        if (vars->type != YAML_MAPPING_NODE) {
                diag(ld, vars, NULL, "'variables' must be a mapping of $name: value");
                return -EINVAL;
        }
        for (yaml_node_pair_t *p = vars->data.mapping.pairs.start; p < vars->data.mapping.pairs.top;
             p++) {
                const char *k = scalar(node(ld, p->key)), *v = scalar(node(ld, p->value));
                if (!k || k[0] != '$' || !k[1]) {
                        diag(ld, node(ld, p->key), NULL, "a variable name must start with '$'");
                        return -EINVAL;
                }
                if (!v) {
                        diag(ld, node(ld, p->value), NULL, "variable '%s' must be a text", k);
                        return -EINVAL;
                }
                if (strv_push(&ld->vars.names, k) < 0 || strv_push(&ld->vars.values, v) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int load_header(struct loader *ld, const yaml_node_t *root, policy_t *p)
{
        yaml_node_t *h = map_get(ld, root, "policy");
        const char *s;
        int rc;

        if (!h) {
                diag(ld, root, NULL, "missing the 'policy' section");
                return -EINVAL;
        }
        if (h->type != YAML_MAPPING_NODE) {
                diag(ld, h, NULL, "'policy' must be a mapping");
                return -EINVAL;
        }
        if (!(s = scalar(map_get(ld, h, "id"))) || !valid_id(s)) {
                yaml_node_t *n = map_get(ld, h, "id");
                diag(ld, n ? n : h, NULL,
                     "the policy needs an 'id' of letters, digits, '.', '_', '-'");
                return -EINVAL;
        }
        if (!(p->id = strdup(s)))
                return -ENOMEM;
        if (!(s = scalar(map_get(ld, h, "name"))) || !*s) {
                diag(ld, h, NULL, "the policy needs a 'name'");
                return -EINVAL;
        }
        if (!(p->name = strdup(s)))
                return -ENOMEM;
        if ((rc = opt_string(ld, h, "file", &p->file, NULL)) < 0 ||
            (rc = opt_string(ld, h, "description", &p->description, NULL)) < 0 ||
            (rc = opt_strv(ld, h, "references", &p->references, NULL)) < 0)
                return rc;
        return dialect_of(ld, h, RULE_DIALECT_OSREGEX, &p->dialect, NULL);
}

static int load_requirements(struct loader *ld, const yaml_node_t *root, policy_t *p)
{
        yaml_node_t *r = map_get(ld, root, "requirements");
        const char *s;
        int rc;

        if (!r)
                return 0;
        if (r->type != YAML_MAPPING_NODE) {
                diag(ld, r, NULL, "'requirements' must be a mapping");
                return -EINVAL;
        }
        p->has_requirements = true;
        p->requirements.line = r->start_mark.line + 1;
        p->requirements.column = r->start_mark.column + 1;
        if (!(s = scalar(map_get(ld, r, "title"))) || !*s) {
                diag(ld, r, "requirements", "missing 'title'");
                return -EINVAL;
        }
        if (!(p->requirements.title = strdup(s)) || !(p->requirements.id = strdup("requirements")))
                return -ENOMEM;
        if ((rc = opt_string(ld, r, "description", &p->requirements.description, "requirements")) <
            0)
                return rc;
        return load_logic(ld, r, &p->requirements, ld->dialect, "requirements");
}

static int load_checks(struct loader *ld, const yaml_node_t *root, policy_t *p)
{
        yaml_node_t *checks = map_get(ld, root, "checks");
        size_t n;

        if (!checks) {
                diag(ld, root, NULL, "missing the 'checks' section");
                return -EINVAL;
        }
        if (checks->type != YAML_SEQUENCE_NODE) {
                diag(ld, checks, NULL, "'checks' must be a list");
                return -EINVAL;
        }
        n = (size_t)(checks->data.sequence.items.top - checks->data.sequence.items.start);
        if (n > POLICY_MAX_CHECKS) {
                diag(ld, checks, NULL, "more than %d checks", POLICY_MAX_CHECKS);
                return -EINVAL;
        }
        if (n && !(p->checks = calloc(n, sizeof(*p->checks))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *m = node(ld, checks->data.sequence.items.start[i]);
                policy_check_t *c = &p->checks[p->n_checks];
                bool dup = false;
                int rc = load_check(ld, m, i, c);

                if (rc == -ENOMEM) {
                        check_clear(c);
                        return rc;
                }
                if (rc == 0)
                        for (size_t j = 0; j < p->n_checks; j++)
                                if (strcmp(p->checks[j].id, c->id) == 0) {
                                        diag(ld, map_get(ld, m, "id"), c->id,
                                             "duplicate check id (first at line %lu)",
                                             p->checks[j].line);
                                        dup = true;
                                        break;
                                }
                if (rc < 0 || dup) {
                        check_clear(c);
                        continue;
                }
                p->n_checks++;
        }
        return 0;
}

int policy_load(const char *data, size_t n, const char *path, policy_t **ret, strv_t *diags)
{
        _cleanup_policy_ policy_t *p = NULL;
        struct loader ld = { .path = path, .diags = diags };
        yaml_parser_t parser;
        yaml_document_t doc;
        yamljson_error_t yerr;
        json_t *probe = NULL;
        yaml_node_t *root;
        int rc;

        if (n > POLICY_MAX_SIZE) {
                diag(&ld, NULL, NULL, "policy file larger than %zu bytes", POLICY_MAX_SIZE);
                return -EINVAL;
        }
        /* The core YAML reader refuses anchors, aliases, duplicate keys and
         * deep nesting, and names the position of a syntax error; only a
         * document it accepts is loaded again with positions kept. */
        rc = yamljson_parse(data, n, &probe, &yerr);
        if (rc == -ENOMEM)
                return rc;
        if (rc < 0) {
                char *line = str_printf("%s:%lu:%lu: %s", path, yerr.line ? yerr.line : 1,
                                        yerr.column ? yerr.column : 1, yerr.message);
                if (!line || strv_push_take(diags, line) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }
        json_decref(probe);

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *)data, n);
        if (!yaml_parser_load(&parser, &doc)) {
                rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
                yaml_parser_delete(&parser);
                if (rc == -EINVAL)
                        diag(&ld, NULL, NULL, "not valid YAML");
                return rc;
        }
        yaml_parser_delete(&parser);
        ld.doc = &doc;

        root = yaml_document_get_root_node(&doc);
        if (!root || root->type != YAML_MAPPING_NODE) {
                diag(&ld, root, NULL, "a policy must be a mapping with 'policy' and 'checks'");
                rc = -EINVAL;
                goto out;
        }
        if (!(p = calloc(1, sizeof(*p))) || !(p->path = strdup(path))) {
                rc = -ENOMEM;
                goto out;
        }
        if ((rc = load_header(&ld, root, p)) < 0)
                goto out;
        ld.dialect = p->dialect;
        if ((rc = load_variables(&ld, map_get(&ld, root, "variables"))) < 0 ||
            (rc = load_requirements(&ld, root, p)) < 0 || (rc = load_checks(&ld, root, p)) < 0)
                goto out;
        if (ld.oom) {
                rc = -ENOMEM;
                goto out;
        }
        *ret = TAKE_PTR(p);
        rc = 0;
out:
        strv_clear(&ld.vars.names);
        strv_clear(&ld.vars.values);
        yaml_document_delete(&doc);
        return rc;
}
