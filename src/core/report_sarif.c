/* SARIF 2.1.0 output, so findings can go into code-scanning dashboards. One
 * run; one rule per distinct check; a result per finding, with a physical
 * location when the evidence names a path (and line, column). */
#include <errno.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/report.h"
#include "core/text.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0"
#endif

static const char *sarif_level(finding_level_t l)
{
        return l == FINDING_HIGH ? "error" : l == FINDING_MEDIUM ? "warning" : "note";
}

static json_t *text_obj(const char *s)
{
        json_t *o = json_object();
        if (o && jsonx_set_str(o, "text", s ? s : "") < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *make_rule(const finding_t *f)
{
        json_t *rule = json_object();

        if (!rule)
                return NULL;
        if (jsonx_set_str(rule, "id", f->check) < 0 ||
            json_object_set_new(rule, "shortDescription",
                                text_obj(f->title ? f->title : f->check)) < 0 ||
            json_object_set_new(rule, "help", text_obj(f->remediation ? f->remediation : "")) < 0 ||
            json_object_set_new(rule, "properties",
                                json_pack("{s:s, s:O}", "category",
                                          finding_category_name(f->category), "tags", f->tags)) <
                    0) {
                json_decref(rule);
                return NULL;
        }
        return rule;
}

static json_t *make_location(const finding_t *f)
{
        json_t *path = json_object_get(f->evidence, "path");
        json_t *line = json_object_get(f->evidence, "line");
        json_t *col = json_object_get(f->evidence, "column");
        json_t *loc, *region;

        if (!json_is_string(path)) {
                loc = json_pack("{s:[{s:s, s:s}]}", "logicalLocations", "name", f->object, "kind",
                                finding_category_name(f->category));
                if (!loc)
                        loc = json_pack("{s:[{s:o}]}", "logicalLocations", "name",
                                        jsonx_string_lossy(f->object));
                return loc;
        }
        region = json_object();
        if (json_is_integer(line) && json_integer_value(line) > 0)
                json_object_set(region, "startLine", line);
        if (json_is_integer(col) && json_integer_value(col) > 0)
                json_object_set(region, "startColumn", col);
        loc = json_pack("{s:{s:{s:O}}}", "physicalLocation", "artifactLocation", "uri", path);
        if (loc && json_object_size(region))
                json_object_set(json_object_get(loc, "physicalLocation"), "region", region);
        json_decref(region);
        return loc;
}

int report_write_sarif(const report_t *r, FILE *out)
{
        json_t *doc = NULL, *rules = json_array(), *results = json_array(),
               *rule_index = json_object();
        int ret = -ENOMEM;

        if (!rules || !results || !rule_index)
                goto out;
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding_t *f = r->findings[i];
                json_t *idx = json_object_get(rule_index, f->check);
                json_t *res, *msg;
                char *text;

                if (!idx) {
                        idx = json_integer((json_int_t)json_array_size(rules));
                        if (json_array_append_new(rules, make_rule(f)) < 0 ||
                            json_object_set_new_nocheck(rule_index, f->check, idx) < 0)
                                goto out;
                }
                text = f->detail ? str_printf("%s — %s", f->title ? f->title : f->check, f->detail)
                                 : NULL;
                msg = text_obj(text ? text : f->title ? f->title : f->check);
                free(text);
                res = json_object();
                if (!res || !msg) {
                        json_decref(res);
                        json_decref(msg);
                        goto out;
                }
                json_object_set_new(res, "message", msg);
                jsonx_set_str(res, "ruleId", f->check);
                json_object_set(res, "ruleIndex", idx);
                jsonx_set_str(res, "level", sarif_level(f->level));
                json_object_set_new(res, "locations", json_pack("[o]", make_location(f)));
                json_object_set_new(res, "partialFingerprints",
                                    json_pack("{s:s}", "vigilFindingId/v1", f->id));
                json_object_set_new(res, "properties",
                                    json_pack("{s:s, s:s, s:O, s:O}", "vigilLevel",
                                              finding_level_name(f->level), "category",
                                              finding_category_name(f->category), "evidence",
                                              f->evidence, "references", f->references));
                if (f->remediation)
                        json_object_set_new(json_object_get(res, "properties"), "remediation",
                                            jsonx_string_lossy(f->remediation));
                if (json_array_append_new(results, res) < 0)
                        goto out;
        }
        doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:O}}, s:O, s:s}]}", "$schema",
                        "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs",
                        "tool", "driver", "name", "vigil", "version", VIGIL_VERSION, "rules", rules,
                        "results", results, "columnKind", "unicodeCodePoints");
        if (!doc)
                goto out;
        ret = json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ? -EIO : 0;
        fputc('\n', out);
        if (ferror(out))
                ret = -EIO;
out:
        json_decref(doc);
        json_decref(rules);
        json_decref(results);
        json_decref(rule_index);
        return ret;
}
