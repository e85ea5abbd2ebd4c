/* os-release(5): shell-compatible KEY=value lines, read from etc/os-release
 * or, when that does not exist, usr/lib/os-release inside the root. */
#include "inventory/os/osinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"
#include "inventory/os/osparse.h"

/* os-release files are a few hundred bytes; anything near this is not one. */
#define OSINFO_MAX_SIZE (64 * KiB)

static const char *const osrelease_paths[] = { "/etc/os-release", "/usr/lib/os-release" };

void osinfo_clear(osinfo_t *os)
{
        if (!os)
                return;
        free(os->id);
        free(os->id_like);
        free(os->name);
        free(os->pretty_name);
        free(os->version_id);
        free(os->version_codename);
        *os = (osinfo_t){ 0 };
}

static bool is_key_start(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
        return is_key_start(c) || (c >= '0' && c <= '9');
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* Parse the value of one assignment, the N bytes at P (the rest of the line
 * after "="), into VALUE. Returns NULL or what is wrong with it. */
static const char *parse_value(const char *p, size_t n, buf_t *value)
{
        size_t i = 0;

        /* Trailing white space (and a CR of a CRLF file) is not part of the
         * value in any of the forms below. */
        while (n > 0 && (is_blank(p[n - 1]) || p[n - 1] == '\r'))
                n--;
        if (n > 0 && (p[0] == '"' || p[0] == '\'')) {
                char quote = p[0];
                bool closed = false;

                for (i = 1; i < n; i++) {
                        char c = p[i];
                        if (c == quote) {
                                closed = true;
                                i++;
                                break;
                        }
                        /* Inside double quotes a backslash escapes only the
                         * characters the shell treats specially there; before
                         * any other character it is an ordinary backslash.
                         * Inside single quotes nothing is special. */
                        if (quote == '"' && c == '\\' && i + 1 < n && strchr("\"\\`$", p[i + 1])) {
                                c = p[++i];
                        }
                        if (buf_append(value, &c, 1) < 0)
                                return "value too long";
                }
                if (!closed)
                        return "unterminated quoted value";
                while (i < n && is_blank(p[i]))
                        i++;
                if (i < n && p[i] != '#')
                        return "text after the closing quote (concatenated strings are not "
                               "supported)";
                return NULL;
        }
        for (i = 0; i < n; i++) {
                char c = p[i];
                if (c == '"' || c == '\'')
                        return "quote inside an unquoted value";
                if (c == '\\') {
                        if (i + 1 == n)
                                return "backslash at the end of the line";
                        c = p[++i];
                }
                if (buf_append(value, &c, 1) < 0)
                        return "value too long";
        }
        return NULL;
}

int osinfo_parse(const char *data, size_t n, osinfo_t *ret, char **ret_error)
{
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "ID", offsetof(osinfo_t, id) },
                { "ID_LIKE", offsetof(osinfo_t, id_like) },
                { "NAME", offsetof(osinfo_t, name) },
                { "PRETTY_NAME", offsetof(osinfo_t, pretty_name) },
                { "VERSION_ID", offsetof(osinfo_t, version_id) },
                { "VERSION_CODENAME", offsetof(osinfo_t, version_codename) },
        };
        _cleanup_(osinfo_clear) osinfo_t os = { 0 };
        _cleanup_buf_ buf_t value;
        size_t pos = 0, line = 0;
        const char *problem = NULL;

        buf_init(&value, OSINFO_MAX_SIZE);
        if (memchr(data, 0, n)) {
                /* Report the line of the first NUL. */
                const char *z = memchr(data, 0, n);
                line = 1;
                for (const char *c = data; c < z; c++)
                        line += *c == '\n';
                problem = "NUL byte";
                goto fail;
        }
        while (pos < n) {
                const char *l = data + pos, *nl = memchr(l, '\n', n - pos);
                size_t len = nl ? (size_t)(nl - l) : n - pos, i = 0, klen;

                pos += len + (nl ? 1 : 0);
                line++;
                while (i < len && (is_blank(l[i]) || l[i] == '\r'))
                        i++;
                if (i == len || l[i] == '#')
                        continue;
                if (!is_key_start(l[i])) {
                        problem = "not a KEY=value assignment";
                        goto fail;
                }
                klen = 0;
                while (i + klen < len && is_key_char(l[i + klen]))
                        klen++;
                if (i + klen == len || l[i + klen] != '=') {
                        problem = "not a KEY=value assignment";
                        goto fail;
                }
                buf_reset(&value);
                problem = parse_value(l + i + klen + 1, len - i - klen - 1, &value);
                if (problem)
                        goto fail;
                if (!osparse_text_ok(value.data ? value.data : "", value.len)) {
                        problem = "value is not UTF-8 text without control characters";
                        goto fail;
                }
                for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                        char **field;
                        if (strlen(keys[k].key) != klen || memcmp(keys[k].key, l + i, klen) != 0)
                                continue;
                        field = (char **)((char *)&os + keys[k].offset);
                        free(*field);
                        *field = NULL;
                        /* An empty value means the same as no value. */
                        if (value.len > 0 && !(*field = strdup(value.data)))
                                return -ENOMEM;
                        break;
                }
        }
        /* os-release(5): ID defaults to "linux" when not set. */
        if (!os.id && !(os.id = strdup("linux")))
                return -ENOMEM;
        *ret = os;
        os = (osinfo_t){ 0 };
        return 0;
fail:
        if (ret_error && !(*ret_error = str_printf("line %zu: %s", line, problem)))
                return -ENOMEM;
        return -EINVAL;
}

int osinfo_read(const rootfs_t *root, osinfo_t *ret, char **ret_error)
{
        for (size_t i = 0; i < ELEMENTSOF(osrelease_paths); i++) {
                _cleanup_free_ char *data = NULL, *display = NULL, *err = NULL;
                size_t n;
                int r;

                r = rootfs_read_file(root, osrelease_paths[i], OSINFO_MAX_SIZE, &data, &n);
                /* Only a missing file sends the reader on to the fallback; a
                 * broken /etc/os-release is reported, not papered over. */
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r == -ENOMEM)
                        return r;
                display = rootfs_display_path(root, osrelease_paths[i]);
                if (!display)
                        return -ENOMEM;
                if (r < 0) {
                        if (r == -EFBIG || r == -EISDIR)
                                r = -EINVAL;
                        if (ret_error &&
                            !(*ret_error = str_printf("%s: %s", display,
                                                      r == -EINVAL ? "not a regular file of "
                                                                     "at most 64 KiB"
                                                                   : strerror(-r))))
                                return -ENOMEM;
                        return r;
                }
                r = osinfo_parse(data, n, ret, &err);
                if (r == -EINVAL && ret_error &&
                    !(*ret_error = str_printf("%s:%s", display, err + STRLEN("line "))))
                        return -ENOMEM;
                return r;
        }
        return -ENOENT;
}

/* The leading decimal number of S ("9" of "9.3"); false when S does not
 * start with a digit. */
static bool leading_number(const char *s, unsigned long *ret)
{
        unsigned long v = 0;

        if (!s || *s < '0' || *s > '9')
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + (unsigned long)(*s - '0');
                if (v > 1000000)
                        return false;
        }
        *ret = v;
        return true;
}

/* "MAJOR.MINOR" at the start of S, followed by the end or a dot; e.g.
 * "3.19.1" gives 3 and 19; "3.20_alpha2024" (Alpine edge) does not match. */
static bool major_minor(const char *s, unsigned long *ret_major, unsigned long *ret_minor)
{
        const char *dot;

        if (!leading_number(s, ret_major))
                return false;
        dot = s + strspn(s, "0123456789");
        if (*dot != '.' || !leading_number(dot + 1, ret_minor))
                return false;
        dot = dot + 1 + strspn(dot + 1, "0123456789");
        return *dot == 0 || *dot == '.';
}

/* Debian code names of releases that can run without VERSION_ID (testing
 * before its release); sid has no number and no OSV ecosystem. */
static const struct {
        const char *codename;
        unsigned number;
} debian_codenames[] = {
        { "jessie", 8 },    { "stretch", 9 }, { "buster", 10 }, { "bullseye", 11 },
        { "bookworm", 12 }, { "trixie", 13 }, { "forky", 14 },  { "duke", 15 },
};

static char *suse_ecosystem(const osinfo_t *os, const char *prefix, const char *name_prefix)
{
        size_t n = strlen(name_prefix);

        /* SUSE's OSV data names products by their marketing name, which is
         * PRETTY_NAME without the vendor word: "SUSE Linux Enterprise Server
         * 15 SP5" -> "SUSE:Linux Enterprise Server 15 SP5". */
        if (!os->pretty_name || strncmp(os->pretty_name, name_prefix, n) != 0 ||
            os->pretty_name[n] != ' ' || !os->pretty_name[n + 1])
                return NULL;
        return str_printf("%s:%s", prefix, os->pretty_name + n + 1);
}

char *osinfo_osv_ecosystem(const osinfo_t *os)
{
        unsigned long major, minor;
        const char *id = os->id;

        if (!id)
                return NULL;
        if (strcmp(id, "debian") == 0) {
                if (leading_number(os->version_id, &major))
                        return str_printf("Debian:%lu", major);
                if (os->version_codename)
                        for (size_t i = 0; i < ELEMENTSOF(debian_codenames); i++)
                                if (strcmp(os->version_codename, debian_codenames[i].codename) == 0)
                                        return str_printf("Debian:%u", debian_codenames[i].number);
                return NULL;
        }
        if (strcmp(id, "ubuntu") == 0) {
                if (major_minor(os->version_id, &major, &minor))
                        return str_printf("Ubuntu:%lu.%02lu", major, minor);
                return NULL;
        }
        if (strcmp(id, "alpine") == 0) {
                if (major_minor(os->version_id, &major, &minor))
                        return str_printf("Alpine:v%lu.%lu", major, minor);
                return NULL;
        }
        if (strcmp(id, "rocky") == 0) {
                if (leading_number(os->version_id, &major))
                        return str_printf("Rocky Linux:%lu", major);
                return NULL;
        }
        if (strcmp(id, "almalinux") == 0) {
                if (leading_number(os->version_id, &major))
                        return str_printf("AlmaLinux:%lu", major);
                return NULL;
        }
        if (strcmp(id, "rhel") == 0)
                return strdup("Red Hat");
        if (strncmp(id, "opensuse", STRLEN("opensuse")) == 0)
                return suse_ecosystem(os, "openSUSE", "openSUSE");
        if (strcmp(id, "sles") == 0 || strcmp(id, "sles_sap") == 0 || strcmp(id, "sled") == 0 ||
            strcmp(id, "sl-micro") == 0)
                return suse_ecosystem(os, "SUSE", "SUSE");
        return NULL;
}

json_t *osinfo_to_json(const osinfo_t *os)
{
        _cleanup_free_ char *eco = osinfo_osv_ecosystem(os);

        return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "id", os->id, "version_id",
                         os->version_id, "codename", os->version_codename, "pretty_name",
                         os->pretty_name, "id_like", os->id_like, "ecosystem", eco);
}
