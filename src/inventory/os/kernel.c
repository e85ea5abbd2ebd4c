/* The running kernel against the kernel packages installed: which package
 * (if any) the running kernel came from, which installed kernel is the
 * newest, and so whether a reboot would change the kernel. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/text.h"
#include "inventory/os/ospkg.h"
#include "inventory/version/vercmp.h"

void kernel_info_clear(kernel_info_t *k)
{
        if (!k)
                return;
        free(k->running_release);
        free(k->running_package);
        free(k->running_version);
        free(k->newest_release);
        free(k->newest_package);
        free(k->newest_version);
        *k = (kernel_info_t){ 0 };
}

/* A kernel release as uname(2) prints it: starts with a digit, no white
 * space or odd characters (so it can be compared and shown safely). */
static bool release_ok(const char *s, size_t n)
{
        if (n == 0 || s[0] < '0' || s[0] > '9')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      strchr(".+_~-", c)))
                        return false;
        }
        return true;
}

/* Debian and Ubuntu: "linux-image-RELEASE" (Ubuntu also
 * "linux-image-unsigned-RELEASE"; Debian "linux-image-RELEASE-unsigned").
 * Meta packages ("linux-image-amd64") do not start with a digit and debug
 * symbol packages end in "-dbg"; neither is a kernel. */
static char *dpkg_release(const pkg_t *p)
{
        const char *r;
        size_t n;

        if (!str_startswith(p->name, "linux-image-"))
                return NULL;
        r = p->name + STRLEN("linux-image-");
        if (str_startswith(r, "unsigned-"))
                r += STRLEN("unsigned-");
        n = strlen(r);
        if (str_endswith(r, "-dbg") || str_endswith(r, "-dbgsym"))
                return NULL;
        if (str_endswith(r, "-unsigned"))
                n -= STRLEN("-unsigned");
        return release_ok(r, n) ? str_ndup(r, n) : NULL;
}

/* Split an rpm "[epoch:]version-release" into VERSION and RELEASE slices. */
static bool rpm_split(const char *evr, const char **ret_v, size_t *ret_vn, const char **ret_r)
{
        const char *colon = strchr(evr, ':'), *dash;

        if (colon)
                evr = colon + 1;
        dash = strrchr(evr, '-');
        if (!dash || dash == evr || !dash[1])
                return false;
        *ret_v = evr;
        *ret_vn = (size_t)(dash - evr);
        *ret_r = dash + 1;
        return true;
}

/* RHEL and its rebuilds, Fedora, Oracle UEK, ELRepo: uname -r is
 * "VERSION-RELEASE.ARCH". SUSE: kernel-FLAVOR with uname -r
 * "VERSION-RELEASE'-FLAVOR" where RELEASE' drops the last (rebuild) number
 * of the release ("5.14.21-150500.55.39.1" -> "5.14.21-150500.55.39-default"). */
static char *rpm_release(const pkg_t *p)
{
        static const char *const redhat[] = { "kernel",          "kernel-core",   "kernel-uek",
                                              "kernel-uek-core", "kernel-ml",     "kernel-ml-core",
                                              "kernel-lt",       "kernel-lt-core" };
        static const char *const suse[] = { "default", "azure", "kvmsmall", "64kb" };
        const char *v, *rel, *dot;
        size_t vn;
        char *out;

        if (!str_startswith(p->name, "kernel") || !rpm_split(p->version, &v, &vn, &rel))
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(redhat); i++)
                if (strcmp(p->name, redhat[i]) == 0) {
                        if (!p->arch)
                                return NULL;
                        out = str_printf("%.*s-%s.%s", (int)vn, v, rel, p->arch);
                        goto check;
                }
        for (size_t i = 0; i < ELEMENTSOF(suse); i++)
                if (str_startswith(p->name, "kernel-") &&
                    strcmp(p->name + STRLEN("kernel-"), suse[i]) == 0) {
                        dot = strrchr(rel, '.');
                        out = str_printf("%.*s-%.*s-%s", (int)vn, v,
                                         (int)(dot ? (size_t)(dot - rel) : strlen(rel)), rel,
                                         suse[i]);
                        goto check;
                }
        return NULL;
check:
        if (out && !release_ok(out, strlen(out))) {
                free(out);
                return NULL;
        }
        return out;
}

/* Alpine: linux-FLAVOR "VERSION-rN" runs as "VERSION-N-FLAVOR". */
static char *apk_release(const pkg_t *p)
{
        static const char *const flavors[] = { "lts", "virt", "edge", "stable",
                                               "rpi", "rpi2", "rpi4", "rpi5" };
        const char *flavor, *r;
        char *out;

        if (!str_startswith(p->name, "linux-"))
                return NULL;
        flavor = p->name + STRLEN("linux-");
        for (size_t i = 0; i < ELEMENTSOF(flavors); i++) {
                if (strcmp(flavor, flavors[i]) != 0)
                        continue;
                r = strrchr(p->version, '-');
                if (!r || r == p->version || r[1] != 'r' || !r[2] ||
                    strspn(r + 2, "0123456789") != strlen(r + 2))
                        return NULL;
                out = str_printf("%.*s-%s-%s", (int)(r - p->version), p->version, r + 2, flavor);
                if (out && !release_ok(out, strlen(out))) {
                        free(out);
                        return NULL;
                }
                return out;
        }
        return NULL;
}

static int scheme_of(pkg_kind_t kind, version_scheme_t *ret)
{
        switch (kind) {
        case PKG_DPKG:
                *ret = VERSION_DPKG;
                return 0;
        case PKG_RPM:
                *ret = VERSION_RPM;
                return 0;
        case PKG_APK:
                *ret = VERSION_APK;
                return 0;
        default:
                return -ENOENT;
        }
}

typedef struct candidate {
        const pkg_t *pkg;
        char *release;
} candidate_t;

/* Among packages naming the same release, the "-core" one holds the
 * kernel (RHEL 8+: "kernel" is an empty meta package of the same
 * version). */
static bool better_named(const candidate_t *a, const candidate_t *b)
{
        return str_endswith(a->pkg->name, "-core") && !str_endswith(b->pkg->name, "-core");
}

int kernel_inspect_release(const pkg_list_t *pkgs, const char *running_release, kernel_info_t *ret)
{
        _cleanup_free_ candidate_t *c = NULL;
        kernel_info_t k = { 0 };
        const candidate_t *running = NULL, *newest = NULL;
        version_scheme_t scheme = VERSION_DPKG;
        pkg_kind_t kind = PKG_KIND__MAX;
        size_t n = 0;
        int r = -ENOMEM;

        if (pkgs->n > 0) {
                c = calloc(pkgs->n, sizeof(*c));
                if (!c)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < pkgs->n; i++) {
                const pkg_t *p = &pkgs->v[i];
                char *rel = NULL;

                if (!p->name || !p->version)
                        continue;
                if (p->kind == PKG_DPKG)
                        rel = dpkg_release(p);
                else if (p->kind == PKG_RPM)
                        rel = rpm_release(p);
                else if (p->kind == PKG_APK)
                        rel = apk_release(p);
                else
                        continue;
                if (!rel)
                        continue; /* not a kernel (or out of memory: same answer) */
                c[n++] = (candidate_t){ p, rel };
        }

        if (running_release) {
                for (size_t i = 0; i < n; i++)
                        if (strcmp(c[i].release, running_release) == 0 &&
                            (!running || better_named(&c[i], running)))
                                running = &c[i];
        }
        /* Kernels of one package manager are compared with each other: the
         * running kernel's, or else the first of dpkg, rpm, apk that has
         * any (a host rarely has kernels from two). */
        if (running)
                kind = running->pkg->kind;
        else
                for (size_t i = 0; i < n; i++)
                        if (c[i].pkg->kind < kind)
                                kind = c[i].pkg->kind;
        if (n > 0)
                (void)scheme_of(kind, &scheme); /* KIND is one of the three */
        for (size_t i = 0; i < n; i++) {
                int d;
                if (c[i].pkg->kind != kind)
                        continue;
                if (!newest) {
                        newest = &c[i];
                        continue;
                }
                d = vercmp(scheme, c[i].pkg->version, newest->pkg->version);
                if (d == 0)
                        d = vercmp(scheme, c[i].release, newest->release);
                /* On a tie the running kernel is the newest: a reboot would
                 * not bring anything newer. */
                if (d > 0 || (d == 0 && (&c[i] == running ||
                                         (newest != running && better_named(&c[i], newest)))))
                        newest = &c[i];
        }

        if (running_release && !(k.running_release = strdup(running_release)))
                goto out;
        if (running && (!(k.running_package = strdup(running->pkg->name)) ||
                        !(k.running_version = strdup(running->pkg->version))))
                goto out;
        if (newest && (!(k.newest_release = strdup(newest->release)) ||
                       !(k.newest_package = strdup(newest->pkg->name)) ||
                       !(k.newest_version = strdup(newest->pkg->version))))
                goto out;
        if (running_release && newest) {
                if (running)
                        k.reboot_needed = strcmp(running->release, newest->release) != 0;
                else
                        /* The running kernel is from no installed package: a
                         * custom or provider kernel, or one whose package was
                         * removed after an upgrade. Only an installed kernel
                         * that sorts after it would be booted instead. */
                        k.reboot_needed = vercmp(scheme, newest->release, running_release) > 0;
        }
        *ret = k;
        k = (kernel_info_t){ 0 };
        r = 0;
out:
        kernel_info_clear(&k);
        for (size_t i = 0; i < n; i++)
                free(c[i].release);
        return r;
}

int kernel_inspect(const rootfs_t *root, const pkg_list_t *pkgs, kernel_info_t *ret)
{
        struct utsname u;

        /* uname(2) describes the machine vigil runs on, which is the scanned
         * system only when the root is "/". */
        if (root->is_host && uname(&u) == 0 && release_ok(u.release, strlen(u.release)))
                return kernel_inspect_release(pkgs, u.release, ret);
        return kernel_inspect_release(pkgs, NULL, ret);
}
