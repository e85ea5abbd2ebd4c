#include "scan/baseline/certs.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/walk.h"

void certs_info_clear(cert_info_t *c)
{
        free(c->path);
        free(c->found_in);
        free(c->subject);
        free(c->not_after);
        memset(c, 0, sizeof(*c));
}

void certs_list_clear(cert_list_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                certs_info_clear(&l->v[i]);
        free(l->v);
        strv_clear(&l->problems);
        memset(l, 0, sizeof(*l));
}

static X509 *load_cert(const char *data, size_t n)
{
        BIO *bio;
        X509 *x = NULL;

        if (n > CERTS_MAX_FILE || n > (size_t)0x7fffffff)
                return NULL;
        if (memmem(data, n, "-----BEGIN", 10)) {
                if (!(bio = BIO_new_mem_buf(data, (int)n)))
                        return NULL;
                x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
                BIO_free(bio);
        } else if (n > 0 && (unsigned char)data[0] == 0x30) {
                const unsigned char *p = (const unsigned char *)data;
                x = d2i_X509(NULL, &p, (long)n);
        }
        return x;
}

static char *iso_time(const struct tm *tm)
{
        return str_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm->tm_year + 1900, tm->tm_mon + 1,
                          tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

int certs_judge(const char *data, size_t n, time_t now, cert_info_t *info,
                unsigned char *fingerprint)
{
        X509 *x = load_cert(data, n);
        EVP_PKEY *pk;
        struct tm tm;
        int md_nid = NID_undef, pk_nid = NID_undef, sig_nid, rc = -ENOMEM;
        BIO *mem = NULL;

        if (!x)
                return -EINVAL;
        if (fingerprint) {
                unsigned int len = 0;
                if (!X509_digest(x, EVP_sha256(), fingerprint, &len))
                        goto out;
        }
        /* Subject as one escaped line. */
        if (!(mem = BIO_new(BIO_s_mem())))
                goto out;
        if (X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
                char *p;
                long len = BIO_get_mem_data(mem, &p);
                free(info->subject);
                if (!(info->subject = str_ndup(p, len > 0 ? (size_t)MIN(len, 1024) : 0)))
                        goto out;
        }
        if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
                rc = -EINVAL;
                goto out;
        }
        free(info->not_after);
        if (!(info->not_after = iso_time(&tm)))
                goto out;
        {
                time_t end = timegm(&tm);
                long long diff = (long long)end - (long long)now;
                info->days_left = diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
                info->expired = end < now;
                info->expiring = !info->expired && diff <= (long long)CERTS_EXPIRING_DAYS * 86400;
        }
        pk = X509_get0_pubkey(x);
        info->key_bits = pk ? EVP_PKEY_get_bits(pk) : 0;
        switch (pk ? EVP_PKEY_get_base_id(pk) : NID_undef) {
        case EVP_PKEY_RSA:
        case EVP_PKEY_RSA_PSS:
                snprintf(info->key_type, sizeof(info->key_type), "RSA");
                info->weak_key = info->key_bits < 2048;
                break;
        case EVP_PKEY_DSA:
                snprintf(info->key_type, sizeof(info->key_type), "DSA");
                info->weak_key = info->key_bits < 2048;
                break;
        case EVP_PKEY_EC:
                snprintf(info->key_type, sizeof(info->key_type), "EC");
                info->weak_key = info->key_bits < 224;
                break;
        case EVP_PKEY_ED25519:
                snprintf(info->key_type, sizeof(info->key_type), "ED25519");
                break;
        case EVP_PKEY_ED448:
                snprintf(info->key_type, sizeof(info->key_type), "ED448");
                break;
        default:
                snprintf(info->key_type, sizeof(info->key_type), "unknown");
        }
        sig_nid = X509_get_signature_nid(x);
        snprintf(info->sig_alg, sizeof(info->sig_alg), "%s",
                 sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown");
        if (OBJ_find_sigid_algs(sig_nid, &md_nid, &pk_nid))
                info->weak_signature = md_nid == NID_sha1 || md_nid == NID_md5 ||
                                       md_nid == NID_md4 || md_nid == NID_md2;
        rc = 0;
out:
        BIO_free(mem);
        X509_free(x);
        return rc;
}

struct collector {
        const rootfs_t *root;
        time_t now;
        cert_list_t *out;
        unsigned char (*seen)[32];
        size_t n_seen, cap_seen;
        strv_t named; /* certificate paths named by server configs, "path\tsource" */
        size_t files;
};

static int add_cert(struct collector *c, const char *path, const char *found_in, bool named)
{
        _cleanup_free_ char *data = NULL;
        cert_info_t info = { 0 };
        unsigned char fp[32];
        size_t n;
        int r;

        if (c->files >= CERTS_MAX_FILES)
                return 0;
        c->files++;
        c->out->files_examined++;
        r = rootfs_read_file(c->root, path, CERTS_MAX_FILE, &data, &n);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* A config (often an unused snippet) naming a file that does
                 * not exist serves nothing; anything else is worth a note. */
                if (named && r != -ENOENT) {
                        char *p = str_printf("%s (named at %s): %s", path, found_in, strerror(-r));
                        if (!p || strv_push_take(&c->out->problems, p) < 0)
                                return -ENOMEM;
                }
                return 0;
        }
        r = certs_judge(data, n, c->now, &info, fp);
        if (r == -ENOMEM) {
                certs_info_clear(&info);
                return r;
        }
        if (r < 0) {
                certs_info_clear(&info);
                return 0;
        }
        for (size_t i = 0; i < c->n_seen; i++)
                if (memcmp(c->seen[i], fp, 32) == 0) {
                        certs_info_clear(&info);
                        return 0;
                }
        if (c->n_seen == c->cap_seen) {
                size_t cap = c->cap_seen ? c->cap_seen * 2 : 32;
                unsigned char(*v)[32] = realloc(c->seen, cap * 32);
                if (!v) {
                        certs_info_clear(&info);
                        return -ENOMEM;
                }
                c->seen = v;
                c->cap_seen = cap;
        }
        memcpy(c->seen[c->n_seen++], fp, 32);
        if (c->out->n == c->out->cap) {
                size_t cap = c->out->cap ? c->out->cap * 2 : 16;
                cert_info_t *v = realloc(c->out->v, cap * sizeof(*v));
                if (!v) {
                        certs_info_clear(&info);
                        return -ENOMEM;
                }
                c->out->v = v;
                c->out->cap = cap;
        }
        info.path = strdup(path);
        info.found_in = found_in ? strdup(found_in) : NULL;
        if (!info.path || (found_in && !info.found_in)) {
                certs_info_clear(&info);
                return -ENOMEM;
        }
        c->out->v[c->out->n++] = info;
        return 0;
}

static int ssl_entry(const walk_entry_t *e, void *userdata)
{
        struct collector *c = userdata;
        bool in_store = str_startswith(e->path, "/etc/ssl/certs/");

        if (S_ISDIR(e->st->st_mode))
                return WALK_CONTINUE;
        if (in_store && (S_ISLNK(e->st->st_mode) || strcmp(e->name, "ca-certificates.crt") == 0))
                return WALK_CONTINUE;
        /* Keys and other files are read only to learn they hold no
         * certificate; skip what is clearly not one. */
        if (str_endswith(e->name, ".key") || str_startswith(e->path, "/etc/ssl/private/"))
                return WALK_CONTINUE;
        if (!S_ISREG(e->st->st_mode) && !S_ISLNK(e->st->st_mode))
                return WALK_CONTINUE;
        return add_cert(c, e->path, NULL, false);
}

static int le_entry(const walk_entry_t *e, void *userdata)
{
        if (strcmp(e->name, "cert.pem") != 0 || S_ISDIR(e->st->st_mode))
                return WALK_CONTINUE;
        return add_cert(userdata, e->path, NULL, false);
}

/* Collect "path\tsource" for each certificate path a server config names. */
static int config_entry(const walk_entry_t *e, void *userdata)
{
        struct collector *c = userdata;
        _cleanup_free_ char *data = NULL;
        size_t len, pos = 0;
        unsigned long lineno = 0;
        int r;

        if (!S_ISREG(e->st->st_mode) && !S_ISLNK(e->st->st_mode))
                return WALK_CONTINUE;
        r = rootfs_read_file(c->root, e->path, CERTS_MAX_FILE, &data, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return WALK_CONTINUE;
        while (pos < len) {
                const char *line = data + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos, klen;
                const char *p = line, *end = line + n, *v;
                char *item;

                pos += n + 1;
                lineno++;
                while (p < end && isspace((unsigned char)*p))
                        p++;
                if ((size_t)(end - p) > 16 && strncmp(p, "ssl_certificate", 15) == 0 &&
                    isspace((unsigned char)p[15]))
                        klen = 15;
                else if ((size_t)(end - p) > 19 && strncasecmp(p, "SSLCertificateFile", 18) == 0 &&
                         isspace((unsigned char)p[18]))
                        klen = 18;
                else
                        continue;
                p += klen;
                while (p < end && isspace((unsigned char)*p))
                        p++;
                if (p < end && (*p == '"' || *p == '\''))
                        p++;
                v = p;
                while (p < end && !isspace((unsigned char)*p) && !strchr("\"';", *p))
                        p++;
                if (p == v || *v != '/' || memchr(v, '$', (size_t)(p - v)) ||
                    memchr(v, 0, (size_t)(p - v)))
                        continue;
                item = str_printf("%.*s\t%s:%lu", (int)(p - v), v, e->path, lineno);
                if (!item)
                        return -ENOMEM;
                if (strv_contains(&c->named, item)) {
                        free(item);
                        continue;
                }
                if (c->named.n >= CERTS_MAX_FILES) {
                        free(item);
                        return WALK_STOP;
                }
                if ((r = strv_push_take(&c->named, item)) < 0)
                        return r;
        }
        return WALK_CONTINUE;
}

int certs_collect(const rootfs_t *root, time_t now, cert_list_t *out)
{
        static const char *const config_dirs[] = { "/etc/nginx", "/etc/apache2", "/etc/httpd" };
        struct collector c = { .root = root, .now = now, .out = out };
        walk_opts_t opts = { .max_depth = 6, .max_entries = 20000 };
        int r = 0;

        /* Certificates named by web server configs come first, so their
         * findings say which config uses them. */
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                r = walk_tree(root, config_dirs[i], &opts, config_entry, &c, NULL);
                if (r == -ENOMEM)
                        goto out;
        }
        for (size_t i = 0; i < c.named.n; i++) {
                char *tab = strchr(c.named.v[i], '\t');
                *tab = 0;
                if ((r = add_cert(&c, c.named.v[i], tab + 1, true)) < 0)
                        goto out;
        }
        r = walk_tree(root, "/etc/letsencrypt/live", &opts, le_entry, &c, NULL);
        if (r == -ENOMEM)
                goto out;
        r = walk_tree(root, "/etc/ssl", &opts, ssl_entry, &c, NULL);
        if (r == -ENOMEM)
                goto out;
        r = 0;
out:
        free(c.seen);
        strv_clear(&c.named);
        return r;
}
