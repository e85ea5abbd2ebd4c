/* The scheme-independent half of the vercmp module: dispatch on the scheme,
 * scheme names, and the mapping from OSV ecosystem names to schemes. Each
 * scheme's comparison and validity check lives in its own vercmp_<scheme>.c. */
#include <errno.h>
#include <string.h>

#include "core/macro.h"
#include "inventory/version/vercmp_internal.h"

static const char *const scheme_names[VERSION_SCHEME__MAX] = {
        [VERSION_DPKG] = "dpkg",         [VERSION_RPM] = "rpm",       [VERSION_APK] = "apk",
        [VERSION_MAVEN] = "maven",       [VERSION_SEMVER] = "semver", [VERSION_PEP440] = "pep440",
        [VERSION_COMPOSER] = "composer",
};

int vercmp(version_scheme_t scheme, const char *a, const char *b)
{
        switch (scheme) {
        case VERSION_DPKG:
                return vercmp_dpkg(a, b);
        case VERSION_RPM:
                return vercmp_rpm(a, b);
        case VERSION_APK:
                return vercmp_apk(a, b);
        case VERSION_MAVEN:
                return vercmp_maven(a, b);
        case VERSION_SEMVER:
                return vercmp_semver(a, b);
        case VERSION_PEP440:
                return vercmp_pep440(a, b);
        case VERSION_COMPOSER:
                return vercmp_composer(a, b);
        case VERSION_SCHEME__MAX:
                break;
        }
        /* A caller bug, but comparison never fails: fall back to bytes. */
        return vc_sign(strcmp(a ? a : "", b ? b : ""));
}

int version_check(version_scheme_t scheme, const char *v, size_t *ret_pos)
{
        if (!v) {
                if (ret_pos)
                        *ret_pos = 0;
                return -EINVAL;
        }
        switch (scheme) {
        case VERSION_DPKG:
                return vercmp_check_dpkg(v, ret_pos);
        case VERSION_RPM:
                return vercmp_check_rpm(v, ret_pos);
        case VERSION_APK:
                return vercmp_check_apk(v, ret_pos);
        case VERSION_MAVEN:
                return vercmp_check_maven(v, ret_pos);
        case VERSION_SEMVER:
                return vercmp_check_semver(v, ret_pos);
        case VERSION_PEP440:
                return vercmp_check_pep440(v, ret_pos);
        case VERSION_COMPOSER:
                return vercmp_check_composer(v, ret_pos);
        case VERSION_SCHEME__MAX:
                break;
        }
        if (ret_pos)
                *ret_pos = 0;
        return -EINVAL;
}

const char *version_scheme_name(version_scheme_t scheme)
{
        if ((unsigned)scheme >= VERSION_SCHEME__MAX)
                return NULL;
        return scheme_names[scheme];
}

int version_scheme_from_name(const char *name, version_scheme_t *ret)
{
        if (!name)
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(scheme_names); i++)
                if (strcmp(name, scheme_names[i]) == 0) {
                        *ret = (version_scheme_t)i;
                        return 0;
                }
        return -ENOENT;
}

/* OSV ecosystem names (the part before the first ':'), exactly as OSV spells
 * them. Distributions OSV names besides those in the header are listed where
 * their package manager is unambiguous. */
static const struct {
        const char *name;
        version_scheme_t scheme;
} ecosystems[] = {
        { "Debian", VERSION_DPKG },    { "Ubuntu", VERSION_DPKG },
        { "Alpine", VERSION_APK },     { "Wolfi", VERSION_APK },
        { "Chainguard", VERSION_APK }, { "Rocky Linux", VERSION_RPM },
        { "AlmaLinux", VERSION_RPM },  { "Red Hat", VERSION_RPM },
        { "openSUSE", VERSION_RPM },   { "SUSE", VERSION_RPM },
        { "Mageia", VERSION_RPM },     { "openEuler", VERSION_RPM },
        { "Maven", VERSION_MAVEN },    { "npm", VERSION_SEMVER },
        { "PyPI", VERSION_PEP440 },    { "Packagist", VERSION_COMPOSER },
};

int version_scheme_for_ecosystem(const char *ecosystem, version_scheme_t *ret)
{
        size_t len;

        if (!ecosystem)
                return -ENOENT;
        len = strcspn(ecosystem, ":");
        for (size_t i = 0; i < ELEMENTSOF(ecosystems); i++)
                if (strlen(ecosystems[i].name) == len &&
                    memcmp(ecosystem, ecosystems[i].name, len) == 0) {
                        *ret = ecosystems[i].scheme;
                        return 0;
                }
        return -ENOENT;
}
