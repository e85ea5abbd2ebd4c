/* TLS certificates a host serves or keeps for serving, found in the scanned
 * root and judged with OpenSSL: expired, expiring soon, an RSA/DSA key
 * under 2048 bits (EC under 224), or a SHA-1/MD5 signature.
 *
 * Where they are looked for: regular files under /etc/ssl (the trust store
 * in /etc/ssl/certs, its symlinks and ca-certificates.crt are skipped: those
 * are other people's CA certificates), /etc/letsencrypt/live/<name>/cert.pem,
 * and every path named by nginx's ssl_certificate or Apache's
 * SSLCertificateFile in files under /etc/nginx, /etc/apache2 and /etc/httpd.
 * Only the first certificate of a file is judged (the leaf, by convention of
 * chain files); the same certificate found twice is judged once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/rootfs.h"
#include "core/text.h"

#define CERTS_MAX_FILE      (1 * MiB)
#define CERTS_MAX_FILES     4000
#define CERTS_EXPIRING_DAYS 30

typedef struct cert_info {
        char *path;          /* inside the root */
        char *found_in;      /* "PATH:LINE" of the server config naming it, or NULL */
        char *subject;       /* one line, RFC 2253 */
        char *not_after;     /* "2026-01-31T12:00:00Z" */
        long long days_left; /* negative when expired */
        char key_type[16];   /* "RSA", "EC", "DSA", "ED25519", … */
        int key_bits;
        char sig_alg[64]; /* "sha256WithRSAEncryption" */
        bool expired;
        bool expiring; /* not expired, expires within CERTS_EXPIRING_DAYS */
        bool weak_key;
        bool weak_signature;
} cert_info_t;

typedef struct cert_list {
        cert_info_t *v;
        size_t n, cap;
        size_t files_examined;
        strv_t problems; /* "PATH: reason" for files named by configs that could not be used */
} cert_list_t;

/* Find and judge the certificates in ROOT as of NOW. Returns 0 or -ENOMEM;
 * unreadable files are skipped (those named by a server config are listed
 * in OUT->problems). */
int certs_collect(const rootfs_t *root, time_t now, cert_list_t *out);

/* Judge the certificate in DATA (N bytes, PEM or DER) as of NOW into INFO
 * (its path fields are left alone). Returns 0, -EINVAL when DATA holds no
 * certificate, -ENOMEM. FINGERPRINT (32 bytes) receives its SHA-256 when
 * not NULL. */
int certs_judge(const char *data, size_t n, time_t now, cert_info_t *info,
                unsigned char *fingerprint);

void certs_info_clear(cert_info_t *c);
void certs_list_clear(cert_list_t *l);
