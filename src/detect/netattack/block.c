#include "detect/netattack/block.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/macro.h"
#include "core/text.h"
#include "detect/netattack/hostaddr.h"
#include "detect/netattack/netconf.h"
#include "inventory/host/cmdrun.h"

/* Creating or repairing the table: "add" of an existing table, set or
 * chain changes nothing, and the chain's rules are flushed and written
 * again, so the same text serves the first block and every later one and
 * leaves exactly these two rules. */
#define ENSURE_SCRIPT                                                                              \
        "add table inet " BLOCK_TABLE "; "                                                         \
        "add set inet " BLOCK_TABLE " blocked4 { type ipv4_addr; flags timeout; }; "               \
        "add set inet " BLOCK_TABLE " blocked6 { type ipv6_addr; flags timeout; }; "               \
        "add chain inet " BLOCK_TABLE                                                              \
        " input { type filter hook input priority -10; policy accept; }; "                         \
        "flush chain inet " BLOCK_TABLE " input; "                                                 \
        "add rule inet " BLOCK_TABLE " input ip saddr @blocked4 drop; "                            \
        "add rule inet " BLOCK_TABLE " input ip6 saddr @blocked6 drop"

struct blocker {
        block_opts_t o;
        ipnet_t *allow;
        char *nft; /* absolute path, or NULL when not found (dry-run only) */
        char *proc_dir;
};

void block_opts_default(block_opts_t *o)
{
        *o = (block_opts_t){
                .enabled = false,
                .dry_run = false,
                .duration_s = BLOCK_DEFAULT_DURATION,
                .max_duration_s = BLOCK_MAX_DURATION,
        };
}

int block_config_load(const config_t *c, block_config_t *ret, char **ret_error)
{
        block_config_t bc = { 0 };
        uint64_t dur, max;
        int r;

        block_opts_default(&bc.opts);
        if ((r = netconf_bool(c, "response.block.enabled", false, &bc.opts.enabled, ret_error)) <
                    0 ||
            (r = netconf_bool(c, "response.block.dry_run", false, &bc.opts.dry_run, ret_error)) <
                    0 ||
            (r = netconf_seconds(c, "response.block.max_duration", BLOCK_MAX_DURATION, 1,
                                 BLOCK_MAX_DURATION, &max, ret_error)) < 0 ||
            (r = netconf_seconds(c, "response.block.duration", MIN(BLOCK_DEFAULT_DURATION, max), 1,
                                 max, &dur, ret_error)) < 0 ||
            (r = netconf_nets(c, "response.block.allowlist", NULL, &bc.allow, &bc.n_allow,
                              ret_error)) < 0)
                return r;
        bc.opts.duration_s = (unsigned)dur;
        bc.opts.max_duration_s = (unsigned)max;
        bc.opts.allow = bc.allow;
        bc.opts.n_allow = bc.n_allow;
        *ret = bc;
        return 0;
}

void block_config_clear(block_config_t *bc)
{
        free(bc->allow);
        *bc = (block_config_t){ 0 };
}

int block_new(const block_opts_t *o, blocker_t **ret)
{
        blocker_t *b;
        int r;

        if (o->max_duration_s == 0 || o->max_duration_s > BLOCK_MAX_DURATION ||
            o->duration_s == 0 || o->duration_s > o->max_duration_s ||
            (o->n_allow > 0 && !o->allow))
                return -EINVAL;
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->o = *o;
        b->o.allow = NULL;
        b->o.nft_path = NULL;
        b->o.proc_dir = NULL;
        if (o->n_allow > 0) {
                b->allow = calloc(o->n_allow, sizeof(*b->allow));
                if (!b->allow)
                        goto oom;
                memcpy(b->allow, o->allow, o->n_allow * sizeof(*b->allow));
        }
        b->proc_dir = strdup(o->proc_dir ? o->proc_dir : "/proc");
        if (!b->proc_dir)
                goto oom;
        if (o->nft_path) {
                if (o->nft_path[0] != '/') {
                        block_free(b);
                        return -EINVAL;
                }
                b->nft = strdup(o->nft_path);
                if (!b->nft)
                        goto oom;
        } else {
                r = cmdrun_find_program("nft", &b->nft);
                if (r == -ENOMEM)
                        goto oom;
                if (r < 0)
                        b->nft = NULL;
        }
        if (o->enabled && !o->dry_run && !b->nft) {
                block_free(b);
                return -ENOENT;
        }
        *ret = b;
        return 0;
oom:
        block_free(b);
        return -ENOMEM;
}

int block_new_from_config(const config_t *c, blocker_t **ret, char **ret_error)
{
        block_config_t bc;
        int r;

        r = block_config_load(c, &bc, ret_error);
        if (r < 0)
                return r;
        r = block_new(&bc.opts, ret);
        block_config_clear(&bc);
        if (r == -ENOENT && ret_error)
                *ret_error = strdup("response.block.enabled: nft (nftables) is not installed");
        return r;
}

void block_free(blocker_t *b)
{
        if (!b)
                return;
        free(b->allow);
        free(b->nft);
        free(b->proc_dir);
        free(b);
}

bool block_enabled(const blocker_t *b)
{
        return b->o.enabled;
}

bool block_dry_run(const blocker_t *b)
{
        return b->o.dry_run;
}

/* ---- what may be blocked ------------------------------------------------- */

static bool is_special(const ipaddr_t *a, const char **why)
{
        static const uint8_t zero[16] = { 0 };

        if (ipaddr_is_loopback(a)) {
                *why = "a loopback address";
                return true;
        }
        if (a->family == AF_INET) {
                if (a->bytes[0] == 0) {
                        *why = "an unspecified address";
                        return true;
                }
                if (a->bytes[0] >= 224) {
                        *why = a->bytes[0] < 240 ? "a multicast address"
                                                 : "a reserved or broadcast address";
                        return true;
                }
                return false;
        }
        if (memcmp(a->bytes, zero, 16) == 0) {
                *why = "an unspecified address";
                return true;
        }
        if (a->bytes[0] == 0xff) {
                *why = "a multicast address";
                return true;
        }
        return false;
}

int block_check(const blocker_t *b, const ipaddr_t *ip, const char **ret_why)
{
        _cleanup_(hostaddr_list_clear) hostaddr_list_t own = { 0 };
        const char *why = NULL;
        int r;

        if (ip->family != AF_INET && ip->family != AF_INET6)
                return -EINVAL;
        if (is_special(ip, &why))
                goto refuse;
        for (size_t i = 0; i < b->o.n_allow; i++)
                if (ipnet_contains(&b->allow[i], ip)) {
                        why = "in response.block.allowlist";
                        goto refuse;
                }
        r = hostaddr_local(&own);
        if (r < 0)
                return r;
        if (hostaddr_list_contains(&own, ip)) {
                why = "an address of this host";
                goto refuse;
        }
        hostaddr_list_clear(&own);
        r = hostaddr_gateways(b->proc_dir, &own);
        if (r < 0)
                return r;
        if (hostaddr_list_contains(&own, ip)) {
                why = "a default gateway of this host";
                goto refuse;
        }
        return 0;
refuse:
        if (ret_why)
                *ret_why = why;
        return -EPERM;
}

/* ---- running nft ---------------------------------------------------------- */

static bool shell_safe(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || strchr("_./-=:,@+", *s)))
                        return false;
        return true;
}

static int append_quoted(buf_t *out, const char *s)
{
        int r;

        if (shell_safe(s))
                return buf_append_str(out, s);
        r = buf_append_str(out, "'");
        for (; r == 0 && *s; s++)
                r = *s == '\'' ? buf_append_str(out, "'\\''") : buf_append(out, s, 1);
        return r < 0 ? r : buf_append_str(out, "'");
}

/* The command as a line a person can paste into a shell. */
static char *format_cmd(const char *const argv[])
{
        _cleanup_buf_ buf_t out;

        buf_init(&out, BLOCK_NFT_MAX_OUT);
        for (size_t i = 0; argv[i]; i++)
                if ((i > 0 && buf_append_str(&out, " ") < 0) || append_quoted(&out, argv[i]) < 0)
                        return NULL;
        return buf_take(&out);
}

static const char *nft_path(const blocker_t *b)
{
        return b->nft ? b->nft : "nft";
}

/* Run nft with ARGS (NULL-terminated, after the program); *RET_OUT (may be
 * NULL) gets the output. Returns 0, -EIO for an exit status other than 0,
 * or an error of cmdrun_capture. */
static int run_nft(const blocker_t *b, const char *const *args, char **ret_out, size_t *ret_len)
{
        const char *argv[8];
        _cleanup_free_ char *out = NULL;
        size_t n = 0, len = 0;
        int status, r;

        if (!b->nft)
                return -ENOENT;
        argv[n++] = b->nft;
        for (size_t i = 0; args[i] && n < ELEMENTSOF(argv) - 1; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        r = cmdrun_capture(argv, BLOCK_NFT_TIMEOUT_MS, BLOCK_NFT_MAX_OUT, &out, &len, &status);
        if (r < 0)
                return r;
        if (status != 0)
                return -EIO;
        if (ret_out) {
                *ret_out = TAKE_PTR(out);
                *ret_len = len;
        }
        return 0;
}

/* Run SCRIPT as one nft argument, or only describe it in dry-run mode. */
static int run_script(const blocker_t *b, const char *script, char **ret_cmd)
{
        const char *argv[] = { nft_path(b), script, NULL };
        _cleanup_free_ char *cmd = format_cmd(argv);
        int r;

        if (!cmd)
                return -ENOMEM;
        if (!b->o.dry_run) {
                const char *args[] = { script, NULL };
                r = run_nft(b, args, NULL, NULL);
                if (r < 0)
                        return r;
        }
        if (ret_cmd)
                *ret_cmd = TAKE_PTR(cmd);
        return 0;
}

/* ---- listing ---------------------------------------------------------------- */

static int parse_elem(json_t *e, bool v6, block_entry_t *ret)
{
        block_entry_t ent = { 0 };
        const char *val = NULL, *comment = NULL;
        json_t *o, *t;

        if (json_is_string(e)) {
                val = json_string_value(e);
        } else if (json_is_object(e) && json_is_object(o = json_object_get(e, "elem"))) {
                t = json_object_get(o, "val");
                val = json_is_string(t) ? json_string_value(t) : NULL;
                t = json_object_get(o, "timeout");
                if (json_is_integer(t) && json_integer_value(t) >= 0)
                        ent.timeout_s = json_integer_value(t);
                t = json_object_get(o, "expires");
                if (json_is_integer(t) && json_integer_value(t) >= 0)
                        ent.expires_s = json_integer_value(t);
                t = json_object_get(o, "comment");
                comment = json_is_string(t) ? json_string_value(t) : NULL;
        }
        if (!val || ipaddr_parse(val, &ent.addr) < 0)
                return -ENOMSG;
        if ((ent.addr.family == AF_INET6) != v6 && !(v6 && strchr(val, ':')))
                return -ENOMSG;
        if (comment) {
                size_t n = strnlen(comment, sizeof(ent.comment));
                if (n < sizeof(ent.comment))
                        memcpy(ent.comment, comment, n + 1);
        }
        *ret = ent;
        return 0;
}

int block_parse_list(const char *text, size_t n, block_entry_t **ret, size_t *ret_n,
                     char **ret_error)
{
        json_t *doc, *arr, *item;
        _cleanup_free_ block_entry_t *v = NULL;
        size_t nv = 0, cap = 0, i;
        json_error_t err;
        int r = 0;

        if (n > BLOCK_NFT_MAX_OUT)
                return -E2BIG;
        doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &err);
        if (!doc) {
                if (ret_error)
                        *ret_error = str_printf("nft output, line %d column %d: %s", err.line,
                                                err.column, err.text);
                return -EBADMSG;
        }
        arr = json_object_get(doc, "nftables");
        if (!json_is_array(arr)) {
                json_decref(doc);
                if (ret_error)
                        *ret_error = strdup("nft output has no \"nftables\" array");
                return -EBADMSG;
        }
        json_array_foreach (arr, i, item) {
                json_t *set = json_object_get(item, "set"), *elems, *e;
                const char *family, *table, *name;
                size_t j;
                bool v6;

                if (!json_is_object(set))
                        continue;
                family = json_string_value(json_object_get(set, "family"));
                table = json_string_value(json_object_get(set, "table"));
                name = json_string_value(json_object_get(set, "name"));
                if (!family || !table || !name || strcmp(family, "inet") != 0 ||
                    strcmp(table, BLOCK_TABLE) != 0)
                        continue;
                if (strcmp(name, "blocked4") == 0)
                        v6 = false;
                else if (strcmp(name, "blocked6") == 0)
                        v6 = true;
                else
                        continue;
                elems = json_object_get(set, "elem");
                if (!json_is_array(elems))
                        continue;
                json_array_foreach (elems, j, e) {
                        block_entry_t ent;

                        if (parse_elem(e, v6, &ent) < 0)
                                continue;
                        if (nv >= BLOCK_MAX_ENTRIES) {
                                r = -E2BIG;
                                goto out;
                        }
                        if (nv == cap) {
                                size_t ncap = cap ? cap * 2 : 16;
                                block_entry_t *nvv = reallocarray(v, ncap, sizeof(*nvv));
                                if (!nvv) {
                                        r = -ENOMEM;
                                        goto out;
                                }
                                v = nvv;
                                cap = ncap;
                        }
                        v[nv++] = ent;
                }
        }
out:
        json_decref(doc);
        if (r < 0)
                return r;
        *ret = nv ? TAKE_PTR(v) : NULL;
        *ret_n = nv;
        return 0;
}

/* Whether `nft -j list tables` output names table inet vigil. */
static int tables_have_vigil(const char *text, size_t n, bool *ret)
{
        json_t *doc = json_loadb(text, n, 0, NULL), *arr, *item;
        bool found = false;
        size_t i;

        if (!doc)
                return -EBADMSG;
        arr = json_object_get(doc, "nftables");
        json_array_foreach (arr, i, item) {
                json_t *t = json_object_get(item, "table");
                const char *family = json_string_value(json_object_get(t, "family"));
                const char *name = json_string_value(json_object_get(t, "name"));

                if (family && name && strcmp(family, "inet") == 0 && strcmp(name, BLOCK_TABLE) == 0)
                        found = true;
        }
        json_decref(doc);
        *ret = found;
        return 0;
}

int block_list(blocker_t *b, block_entry_t **ret, size_t *ret_n)
{
        static const char *const list_table[] = {
                "-j", "list", "table", "inet", BLOCK_TABLE, NULL
        };
        static const char *const list_tables[] = { "-j", "list", "tables", NULL };
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        bool exists;
        int r;

        r = run_nft(b, list_table, &out, &len);
        if (r == 0)
                return block_parse_list(out, len, ret, ret_n, NULL);
        if (r != -EIO)
                return r;
        /* Listing the table failed: either there is none, or nft cannot
         * work at all (no permission). Listing all tables tells which. */
        r = run_nft(b, list_tables, &out, &len);
        if (r < 0)
                return r;
        r = tables_have_vigil(out, len, &exists);
        if (r < 0)
                return r;
        if (exists)
                return -EIO;
        *ret = NULL;
        *ret_n = 0;
        return 0;
}

static const block_entry_t *find_entry(const block_entry_t *v, size_t n, const ipaddr_t *ip)
{
        for (size_t i = 0; i < n; i++)
                if (ipaddr_equal(&v[i].addr, ip))
                        return &v[i];
        return NULL;
}

/* ---- changing ------------------------------------------------------------- */

static int sanitize_reason(const char *reason, char *out, size_t size)
{
        size_t n = reason ? strlen(reason) : 0;

        if (n > BLOCK_REASON_MAX || n >= size)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                char c = reason[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || (c && strchr(" ._:,/=@+-", c));
                out[i] = ok ? c : '_';
        }
        out[n] = 0;
        return 0;
}

static const char *set_of(const ipaddr_t *ip)
{
        return ip->family == AF_INET ? "blocked4" : "blocked6";
}

int block_ip(blocker_t *b, const ipaddr_t *ip, unsigned seconds, const char *reason, char **ret_cmd)
{
        _cleanup_free_ block_entry_t *cur = NULL;
        _cleanup_free_ char *script = NULL;
        char comment[BLOCK_REASON_MAX + 1], addr[IPADDR_STR_MAX], elem[512];
        const block_entry_t *e;
        size_t n_cur = 0;
        int r;

        if (!b->o.enabled)
                return -EOPNOTSUPP;
        if (seconds == 0)
                seconds = b->o.duration_s;
        if (seconds > b->o.max_duration_s)
                return -ERANGE;
        r = sanitize_reason(reason, comment, sizeof(comment));
        if (r < 0)
                return r;
        r = block_check(b, ip, NULL);
        if (r < 0)
                return r;

        /* An address blocked for longer already keeps its block. A failed
         * listing is not fatal: the block itself will say what is wrong. */
        if (block_list(b, &cur, &n_cur) == 0 && (e = find_entry(cur, n_cur, ip)) &&
            (e->timeout_s == 0 || e->expires_s >= (int64_t)seconds)) {
                if (ret_cmd)
                        *ret_cmd = NULL;
                return 0;
        }

        ipaddr_format(ip, addr);
        if (comment[0])
                snprintf(elem, sizeof(elem), "{ %s timeout %us comment \"%s\" }", addr, seconds,
                         comment);
        else
                snprintf(elem, sizeof(elem), "{ %s timeout %us }", addr, seconds);
        /* "add" keeps an existing element's old timeout, so the element is
         * added (making sure it exists), deleted and added again with the
         * new one, all in one transaction. */
        script = str_printf("%s; add element inet %s %s %s; delete element inet %s %s { %s }; "
                            "add element inet %s %s %s",
                            ENSURE_SCRIPT, BLOCK_TABLE, set_of(ip), elem, BLOCK_TABLE, set_of(ip),
                            addr, BLOCK_TABLE, set_of(ip), elem);
        if (!script)
                return -ENOMEM;
        return run_script(b, script, ret_cmd);
}

int block_remove(blocker_t *b, const ipaddr_t *ip, char **ret_cmd)
{
        _cleanup_free_ block_entry_t *cur = NULL;
        _cleanup_free_ char *script = NULL;
        char addr[IPADDR_STR_MAX];
        size_t n_cur = 0;
        int r;

        if (ip->family != AF_INET && ip->family != AF_INET6)
                return -EINVAL;
        r = block_list(b, &cur, &n_cur);
        if (r < 0 && !b->o.dry_run)
                return r;
        if (r == 0 && !find_entry(cur, n_cur, ip)) {
                if (ret_cmd)
                        *ret_cmd = NULL;
                return 0;
        }
        ipaddr_format(ip, addr);
        /* The add makes the delete succeed even if the block expired since
         * the listing. */
        script = str_printf("%s; add element inet %s %s { %s timeout 1s }; "
                            "delete element inet %s %s { %s }",
                            ENSURE_SCRIPT, BLOCK_TABLE, set_of(ip), addr, BLOCK_TABLE, set_of(ip),
                            addr);
        if (!script)
                return -ENOMEM;
        return run_script(b, script, ret_cmd);
}

int block_teardown(blocker_t *b, char **ret_cmd)
{
        /* Adding first makes the delete succeed when there is no table. */
        return run_script(b, "add table inet " BLOCK_TABLE "; delete table inet " BLOCK_TABLE,
                          ret_cmd);
}
