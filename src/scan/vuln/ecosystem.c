#include "scan/vuln/ecosystem.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Ecosystems whose spelling vigil canonicalises (case-insensitively). */
static const char *const known_bases[] = {
        "AlmaLinux",   "Alpine",    "Android",        "Bitnami",  "Chainguard", "crates.io",
        "Debian",      "GHC",       "GitHub Actions", "Go",       "Hackage",    "Hex",
        "Linux",       "Mageia",    "Maven",          "npm",      "NuGet",      "openSUSE",
        "OSS-Fuzz",    "Packagist", "Photon OS",      "Pub",      "PyPI",       "Red Hat",
        "Rocky Linux", "RubyGems",  "SUSE",           "SwiftURL", "Ubuntu",     "Wolfi",
};

static const struct {
        const char *codename;
        const char *ecosystem;
} debian_releases[] = {
        { "wheezy", "Debian:7" },          { "jessie", "Debian:8" },
        { "stretch", "Debian:9" },         { "buster", "Debian:10" },
        { "bullseye", "Debian:11" },       { "bookworm", "Debian:12" },
        { "trixie", "Debian:13" },         { "forky", "Debian:14" },
        { "duke", "Debian:15" },           { "sid", "Debian:unstable" },
        { "unstable", "Debian:unstable" },
};

const char *ecosystem_debian_release(const char *codename)
{
        for (size_t i = 0; i < ELEMENTSOF(debian_releases); i++)
                if (strcmp(debian_releases[i].codename, codename) == 0)
                        return debian_releases[i].ecosystem;
        return NULL;
}

static int check_text(const char *s, size_t max)
{
        size_t n = 0;

        for (; s[n]; n++) {
                unsigned char c = (unsigned char)s[n];
                if (c < 0x20 || c == 0x7f)
                        return -EINVAL;
                if (n >= max)
                        return -E2BIG;
        }
        return n ? 0 : -EINVAL;
}

/* OUT = A, or A ":" B when B is not NULL. */
static int put(char *out, size_t n, const char *a, const char *b)
{
        int k = b ? snprintf(out, n, "%s:%s", a, b) : snprintf(out, n, "%s", a);
        return k < 0 || (size_t)k >= n ? -E2BIG : 0;
}

/* Leading "MAJOR" of "MAJOR[.MINOR...]" when it is all digits, into OUT. */
static bool major_of(const char *v, char *out, size_t n)
{
        size_t k = 0;

        while (isdigit((unsigned char)v[k]))
                k++;
        if (!k || (v[k] && v[k] != '.') || k >= n)
                return false;
        memcpy(out, v, k);
        out[k] = 0;
        return true;
}

int ecosystem_normalise(const char *ecosystem, char *out, size_t n)
{
        char base[ECOSYSTEM_MAX + 1], rest[ECOSYSTEM_MAX + 1], tmp[ECOSYSTEM_MAX + 1];
        const char *colon, *canon = NULL;
        size_t blen;
        int r;

        if ((r = check_text(ecosystem, ECOSYSTEM_MAX)) < 0)
                return r;
        colon = strchr(ecosystem, ':');
        blen = colon ? (size_t)(colon - ecosystem) : strlen(ecosystem);
        memcpy(base, ecosystem, blen);
        base[blen] = 0;
        snprintf(rest, sizeof(rest), "%s", colon ? colon + 1 : "");
        for (size_t i = 0; i < ELEMENTSOF(known_bases); i++)
                if (strcasecmp(base, known_bases[i]) == 0)
                        canon = known_bases[i];
        if (!canon)
                return put(out, n, base, colon ? rest : NULL);

        if (strcmp(canon, "Maven") == 0)
                /* "Maven:<repository URL>" names a mirror; coordinates mean
                 * the same package everywhere. */
                return put(out, n, canon, NULL);
        if (!colon)
                return put(out, n, canon, NULL);

        if (strcmp(canon, "Ubuntu") == 0) {
                size_t rl = strlen(rest);
                if (rl >= 4 && strcasecmp(rest + rl - 4, ":LTS") == 0)
                        rest[rl - 4] = 0;
                return put(out, n, canon, rest);
        }
        if (strcmp(canon, "Debian") == 0) {
                const char *rel;
                if (major_of(rest, tmp, sizeof(tmp)))
                        return put(out, n, canon, tmp);
                for (size_t i = 0; rest[i]; i++)
                        rest[i] = (char)tolower((unsigned char)rest[i]);
                rel = ecosystem_debian_release(rest);
                if (rel)
                        return put(out, n, rel, NULL);
                return put(out, n, canon, rest);
        }
        if (strcmp(canon, "Alpine") == 0) {
                /* "v3.19", "3.19", "3.19.1" -> "v3.19" */
                const char *v = rest[0] == 'v' || rest[0] == 'V' ? rest + 1 : rest;
                size_t k = 0, dots = 0;
                while (v[k] && (isdigit((unsigned char)v[k]) || v[k] == '.')) {
                        if (v[k] == '.' && ++dots == 2)
                                break;
                        k++;
                }
                if (k && (v[k] == 0 || dots == 2) && k + 1 < sizeof(tmp)) {
                        tmp[0] = 'v';
                        memcpy(tmp + 1, v, k);
                        tmp[k + 1] = 0;
                        return put(out, n, canon, tmp);
                }
                return put(out, n, canon, rest);
        }
        if (strcmp(canon, "Rocky Linux") == 0 || strcmp(canon, "AlmaLinux") == 0) {
                if (major_of(rest, tmp, sizeof(tmp)))
                        return put(out, n, canon, tmp);
                return put(out, n, canon, rest);
        }
        return put(out, n, canon, rest);
}

int ecosystem_normalise_name(const char *ecosystem, const char *name, char *out, size_t n)
{
        size_t len, k = 0;
        int r;

        if ((r = check_text(name, ECOSYSTEM_NAME_MAX)) < 0)
                return r;
        len = strlen(name);
        if (len >= n)
                return -E2BIG;
        if (strcmp(ecosystem, "PyPI") == 0) {
                /* PEP 503: lower case, each run of "-", "_", "." as one "-". */
                for (size_t i = 0; i < len; i++) {
                        char c = name[i];
                        if (c == '-' || c == '_' || c == '.') {
                                if (k == 0 || out[k - 1] != '-')
                                        out[k++] = '-';
                                continue;
                        }
                        out[k++] = (char)tolower((unsigned char)c);
                }
                out[k] = 0;
                return 0;
        }
        if (strcmp(ecosystem, "Packagist") == 0) {
                for (size_t i = 0; i <= len; i++)
                        out[i] = (char)tolower((unsigned char)name[i]);
                return 0;
        }
        memcpy(out, name, len + 1);
        return 0;
}

const char *ecosystem_for_app_kind(pkg_kind_t kind)
{
        switch (kind) {
        case PKG_MAVEN:
                return "Maven";
        case PKG_NPM:
                return "npm";
        case PKG_PYPI:
                return "PyPI";
        case PKG_COMPOSER:
                return "Packagist";
        default:
                return NULL;
        }
}

int ecosystem_base(const char *ecosystem, char *out, size_t n)
{
        const char *colon = strchr(ecosystem, ':');
        size_t len = colon ? (size_t)(colon - ecosystem) : strlen(ecosystem);

        if (len >= n)
                return -E2BIG;
        memcpy(out, ecosystem, len);
        out[len] = 0;
        return 0;
}
