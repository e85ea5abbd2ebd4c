#include "agent/cclient.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/curlfn.h"
#include "core/buf.h"
#include "core/ipaddr.h"
#include "core/text.h"

int cclient_global_init(void)
{
        /* libcurl is loaded and initialised on first use (curlfn_load), so
         * that an agent without a center never maps it. */
        return 0;
}

void cclient_cred_clear(cclient_cred_t *c)
{
        if (!c)
                return;
        free(c->url);
        free(c->ca_file);
        /* The secret does not outlive its use in freed memory. */
        explicit_bzero(c->secret, sizeof(c->secret));
        memset(c, 0, sizeof(*c));
}

/* ---- URL policy ---- */

static bool host_is_loopback(const char *host)
{
        char b[64];
        size_t n = strlen(host);
        ipaddr_t ip;

        if (strcasecmp(host, "localhost") == 0)
                return true;
        if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
                if (n - 2 >= sizeof(b))
                        return false;
                memcpy(b, host + 1, n - 2);
                b[n - 2] = 0;
                host = b;
        }
        return ipaddr_parse(host, &ip) == 0 && ipaddr_is_loopback(&ip);
}

int cclient_check_url(const char *url, char **ret_error)
{
        const curlfn_t *cf;
        CURLU *u;
        char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL;
        int r = 0;

        *ret_error = NULL;
        if (!url || !*url || strlen(url) > CCLIENT_URL_MAX) {
                *ret_error = str_printf("the center URL must be 1-%d characters", CCLIENT_URL_MAX);
                return -EINVAL;
        }
        for (const char *p = url; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
                        *ret_error = strdup("the center URL has spaces or control characters");
                        return -EINVAL;
                }
        /* The URL is parsed by the parser that will send the requests, so
         * the policy judges exactly what curl will connect to. */
        if ((r = curlfn_load(ret_error)) < 0)
                return r;
        cf = curlfn_get();
        u = cf->url();
        if (!u)
                return -ENOMEM;
        if (cf->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            cf->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            cf->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                *ret_error = strdup("the center URL does not parse (like https://center:8443)");
                r = -EINVAL;
                goto out;
        }
        if (cf->url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
            cf->url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
                *ret_error = strdup("the center URL must not carry a user or a query");
                r = -EINVAL;
                goto out;
        }
        if (strcasecmp(scheme, "https") == 0)
                goto out;
        if (strcasecmp(scheme, "http") == 0 && host_is_loopback(host))
                goto out;
        *ret_error = strcasecmp(scheme, "http") == 0
                             ? strdup("plain http is allowed only to a loopback address; use "
                                      "https")
                             : strdup("the center URL must be https:// (or http:// to loopback)");
        r = -EINVAL;
out:
        cf->free(scheme);
        cf->free(host);
        cf->free(user);
        cf->free(query);
        cf->url_cleanup(u);
        if (r < 0 && !*ret_error)
                *ret_error = strdup("bad center URL");
        return r;
}

/* ---- the credential file ---- */

static bool secret_ok(const char *s)
{
        return s && strlen(s) == CCLIENT_SECRET_HEX &&
               strspn(s, "0123456789abcdef") == CCLIENT_SECRET_HEX;
}

int cclient_cred_load(const char *state_dir, cclient_cred_t *ret, char **ret_error)
{
        _cleanup_free_ char *path = str_printf("%s/%s", state_dir, CCLIENT_CRED_FILE);
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        cclient_cred_t c = { 0 };
        struct stat st;
        json_t *j = NULL;
        const char *url, *secret, *ca;
        ssize_t n;
        char *err = NULL;
        int r;

        *ret_error = NULL;
        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (r != -ENOENT)
                        *ret_error = str_printf("%s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CCLIENT_CRED_MAX) {
                *ret_error = str_printf("%s: not a regular file of at most %zu bytes", path,
                                        CCLIENT_CRED_MAX);
                return -EINVAL;
        }
        if (st.st_mode & 077) {
                *ret_error = str_printf("%s: others may read it (mode %04o); it holds the "
                                        "agent's secret: chmod 600 it",
                                        path, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        text = malloc((size_t)st.st_size + 1);
        if (!text)
                return -ENOMEM;
        n = read(fd, text, (size_t)st.st_size);
        if (n != st.st_size) {
                *ret_error = str_printf("%s: cannot read it", path);
                return -EIO;
        }
        j = json_loadb(text, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
        explicit_bzero(text, (size_t)n);
        url = json_string_value(json_object_get(j, "url"));
        secret = json_string_value(json_object_get(j, "secret"));
        ca = json_string_value(json_object_get(j, "ca_file"));
        if (!json_is_object(j) || !url || !secret_ok(secret) ||
            !json_is_integer(json_object_get(j, "agent_id")) ||
            json_integer_value(json_object_get(j, "agent_id")) < 1 ||
            (json_object_get(j, "ca_file") && !json_is_null(json_object_get(j, "ca_file")) &&
             (!ca || ca[0] != '/'))) {
                json_decref(j);
                *ret_error =
                        str_printf("%s: damaged (enroll again with 'vigil agent enroll')", path);
                return -EINVAL;
        }
        if ((r = cclient_check_url(url, &err)) < 0) {
                *ret_error = str_printf("%s: %s", path, err ? err : "bad URL");
                free(err);
                json_decref(j);
                /* A URL the policy refuses is a damaged file; libcurl
                 * missing is not, and keeps its own code. */
                return r == -ENOMEM || r == -ELIBACC || r == -ENOSYS || r == -EIO ? r : -EINVAL;
        }
        c.url = strdup(url);
        c.ca_file = ca ? strdup(ca) : NULL;
        c.agent_id = json_integer_value(json_object_get(j, "agent_id"));
        memcpy(c.secret, secret, CCLIENT_SECRET_HEX + 1);
        json_decref(j);
        if (!c.url || (ca && !c.ca_file)) {
                cclient_cred_clear(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

int cclient_cred_save(const char *state_dir, const cclient_cred_t *c, char **ret_error)
{
        _cleanup_free_ char *path = str_printf("%s/%s", state_dir, CCLIENT_CRED_FILE);
        _cleanup_free_ char *tmp = str_printf("%s/%s.tmp", state_dir, CCLIENT_CRED_FILE);
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dfd = -1;
        json_t *j;
        size_t len;
        int fd, r;

        *ret_error = NULL;
        if (!path || !tmp)
                return -ENOMEM;
        j = json_pack("{s:s, s:I, s:s, s:s?}", "url", c->url, "agent_id", (json_int_t)c->agent_id,
                      "secret", c->secret, "ca_file", c->ca_file);
        if (!j)
                return -ENOMEM;
        text = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        (void)unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                *ret_error = str_printf("%s: %s", tmp, strerror(-r));
                explicit_bzero(text, len);
                return r;
        }
        r = 0;
        if (fchmod(fd, 0600) < 0 || write(fd, text, len) != (ssize_t)len ||
            write(fd, "\n", 1) != 1 || fsync(fd) < 0)
                r = -errno ? -errno : -EIO;
        explicit_bzero(text, len);
        if (close(fd) < 0 && r == 0)
                r = -EIO;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                *ret_error = str_printf("%s: %s", path, strerror(-r));
                return r;
        }
        dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void)fsync(dfd);
        return 0;
}

/* ---- gzip ---- */

int cclient_gzip(const char *p, size_t n, char **ret, size_t *ret_len)
{
        z_stream zs = { 0 };
        _cleanup_free_ char *out = NULL;
        uLong cap;
        int zr;

        if (n > UINT32_MAX / 2)
                return -E2BIG;
        /* 16 + MAX_WBITS: a gzip wrapper. */
        if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        cap = deflateBound(&zs, (uLong)n);
        out = malloc(cap ? cap : 1);
        if (!out) {
                deflateEnd(&zs);
                return -ENOMEM;
        }
        zs.next_in = (Bytef *)p;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)cap;
        zr = deflate(&zs, Z_FINISH);
        deflateEnd(&zs);
        if (zr != Z_STREAM_END)
                return -EIO;
        *ret_len = (size_t)zs.total_out;
        *ret = TAKE_PTR(out);
        return 0;
}

/* ---- one request ---- */

void cclient_resp_clear(cclient_resp_t *r)
{
        if (!r)
                return;
        free(r->body);
        memset(r, 0, sizeof(*r));
}

struct sink {
        buf_t b;
        bool over;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *userdata)
{
        struct sink *s = userdata;
        size_t n = size * nmemb;

        if (buf_append(&s->b, p, n) < 0) {
                s->over = true;
                return 0; /* stops the transfer */
        }
        return n;
}

int cclient_request(const cclient_req_t *rq, cclient_resp_t *ret)
{
        _cleanup_free_ char *url = NULL, *auth = NULL, *gz = NULL, *err = NULL;
        const curlfn_t *cf;
        struct curl_slist *hdr = NULL;
        struct sink sink = { .over = false };
        char errbuf[CURL_ERROR_SIZE] = "";
        const char *body = rq->body;
        size_t len = rq->len;
        CURLcode cc;
        CURL *h;
        int r = 0;

        memset(ret, 0, sizeof(*ret));
        if ((r = curlfn_load(&err)) < 0) {
                snprintf(ret->error, sizeof(ret->error), "%s", err ? err : "cannot load libcurl");
                return r == -ENOMEM ? r : -EIO;
        }
        cf = curlfn_get();
        if (cclient_check_url(rq->base, &err) < 0) {
                snprintf(ret->error, sizeof(ret->error), "%s", err ? err : "bad URL");
                return -EINVAL;
        }
        url = str_printf("%s%s", rq->base, rq->path);
        if (!url)
                return -ENOMEM;
        if (rq->gzip && body) {
                if ((r = cclient_gzip(body, len, &gz, &len)) < 0)
                        return r;
                body = gz;
        }
        h = cf->easy_init();
        if (!h)
                return -ENOMEM;
        buf_init(&sink.b, CCLIENT_ANSWER_MAX);
        if (rq->bearer && !(auth = str_printf("Authorization: Bearer %s", rq->bearer))) {
                r = -ENOMEM;
                goto out;
        }
        if (auth)
                hdr = cf->slist_append(hdr, auth);
        if (body) {
                hdr = cf->slist_append(hdr, "Content-Type: application/json");
                if (gz)
                        hdr = cf->slist_append(hdr, "Content-Encoding: gzip");
        }
        hdr = cf->slist_append(hdr, "Accept: application/json");
        hdr = cf->slist_append(hdr, "Expect:");
        cf->easy_setopt(h, CURLOPT_URL, url);
        cf->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        cf->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        cf->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        cf->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        cf->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (rq->ca_file)
                cf->easy_setopt(h, CURLOPT_CAINFO, rq->ca_file);
        cf->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        cf->easy_setopt(h, CURLOPT_TIMEOUT, rq->timeout_s > 0 ? rq->timeout_s : 30L);
        cf->easy_setopt(h, CURLOPT_USERAGENT, "vigil-agent/" VIGIL_VERSION);
        cf->easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        cf->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        cf->easy_setopt(h, CURLOPT_WRITEDATA, &sink);
        cf->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        if (strcmp(rq->method, "POST") == 0) {
                cf->easy_setopt(h, CURLOPT_POST, 1L);
                cf->easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
                cf->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        } else
                cf->easy_setopt(h, CURLOPT_HTTPGET, 1L);
        cc = cf->easy_perform(h);
        if (sink.over) {
                snprintf(ret->error, sizeof(ret->error), "the answer is larger than %zu bytes",
                         CCLIENT_ANSWER_MAX);
                r = -E2BIG;
                goto out;
        }
        if (cc != CURLE_OK) {
                snprintf(ret->error, sizeof(ret->error), "%s",
                         errbuf[0] ? errbuf : cf->easy_strerror(cc));
                r = -EIO;
                goto out;
        }
        cf->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ret->status);
        {
                curl_off_t ra = 0;
                if (cf->easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
                        ret->retry_after_s = ra > 3600 ? 3600 : (long)ra;
        }
        ret->len = sink.b.len;
        ret->body = buf_take(&sink.b);
        if (!ret->body)
                r = -ENOMEM;
out:
        buf_free(&sink.b);
        cf->slist_free_all(hdr);
        cf->easy_cleanup(h);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        return r;
}

/* ---- identity ---- */

static void printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
                        *s = '?';
}

/* The value of KEY= in os-release TEXT, unquoted, into OUT. */
static void os_release_value(const char *text, const char *key, char *out, size_t n)
{
        size_t kl = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *end = strchr(l, '\n');
                size_t len = end ? (size_t)(end - l) : strlen(l);
                if (len > kl && strncmp(l, key, kl) == 0 && l[kl] == '=') {
                        const char *v = l + kl + 1;
                        size_t vl = len - kl - 1;
                        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                                v++;
                                vl -= 2;
                        }
                        if (vl >= n)
                                vl = n - 1;
                        memcpy(out, v, vl);
                        out[vl] = 0;
                        printable(out);
                        return;
                }
        }
}

void cclient_identity(const char *os_release, cclient_identity_t *ret)
{
        static const char *const defaults[] = { "/etc/os-release", "/usr/lib/os-release" };
        cclient_identity_t id = { 0 };
        struct utsname u;
        char text[8192];

        if (gethostname(id.hostname, sizeof(id.hostname) - 1) < 0 || !id.hostname[0])
                snprintf(id.hostname, sizeof(id.hostname), "localhost");
        printable(id.hostname);
        if (uname(&u) == 0) {
                snprintf(id.kernel, sizeof(id.kernel), "%s", u.release);
                snprintf(id.arch, sizeof(id.arch), "%s", u.machine);
                printable(id.kernel);
                printable(id.arch);
        }
        for (size_t i = 0; i < (os_release ? 1 : ELEMENTSOF(defaults)); i++) {
                const char *p = os_release ? os_release : defaults[i];
                _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                ssize_t n;
                if (fd < 0)
                        continue;
                n = read(fd, text, sizeof(text) - 1);
                if (n <= 0)
                        continue;
                text[n] = 0;
                os_release_value(text, "ID", id.os, sizeof(id.os));
                os_release_value(text, "VERSION_ID", id.os_version, sizeof(id.os_version));
                break;
        }
        *ret = id;
}

/* ---- enrollment ---- */

int cclient_enroll(const char *url, const char *token, const char *ca_file,
                   const cclient_identity_t *id, int64_t *ret_id,
                   char ret_secret[CCLIENT_SECRET_HEX + 1], char **ret_error)
{
        _cleanup_free_ char *body = NULL, *err = NULL;
        cclient_resp_t resp = { 0 };
        json_t *req, *ans = NULL;
        const char *secret, *msg;
        int r;

        *ret_error = NULL;
        if ((r = cclient_check_url(url, &err)) < 0) {
                *ret_error = TAKE_PTR(err);
                return r;
        }
        req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "token", token, "hostname",
                        id->hostname, "agent_version", VIGIL_VERSION, "os",
                        id->os[0] ? id->os : "linux", "os_version",
                        id->os_version[0] ? id->os_version : "unknown", "arch",
                        id->arch[0] ? id->arch : "unknown", "kernel",
                        id->kernel[0] ? id->kernel : "unknown");
        if (!req)
                return -ENOMEM;
        body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        if (!body)
                return -ENOMEM;
        cclient_req_t rq = { .base = url,
                             .path = "/api/v1/agent/enroll",
                             .method = "POST",
                             .ca_file = ca_file,
                             .body = body,
                             .len = strlen(body) };
        r = cclient_request(&rq, &resp);
        explicit_bzero(body, strlen(body));
        if (r < 0) {
                *ret_error = str_printf("%s: %s", url, resp.error[0] ? resp.error : strerror(-r));
                cclient_resp_clear(&resp);
                return r == -ENOMEM ? r : r == -EINVAL ? r : -EIO;
        }
        ans = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        msg = json_string_value(json_object_get(ans, "message"));
        if (resp.status == 403 || resp.status == 401) {
                _cleanup_free_ char *m = msg ? str_printf("%s", msg) : NULL;
                if (m)
                        for (char *p = m; *p; p++)
                                if ((unsigned char)*p < 0x20)
                                        *p = '?';
                *ret_error = str_printf("the center refused the enrollment: %s",
                                        m ? m : "token not accepted");
                json_decref(ans);
                cclient_resp_clear(&resp);
                return -EACCES;
        }
        secret = json_string_value(json_object_get(ans, "secret"));
        if (resp.status != 201 && resp.status != 200) {
                *ret_error = str_printf("%s: the center answered HTTP %ld", url, resp.status);
                json_decref(ans);
                cclient_resp_clear(&resp);
                return -EIO;
        }
        if (!json_is_integer(json_object_get(ans, "agent_id")) ||
            json_integer_value(json_object_get(ans, "agent_id")) < 1 || !secret_ok(secret)) {
                *ret_error = str_printf("%s: the center's answer has no agent id and secret", url);
                json_decref(ans);
                cclient_resp_clear(&resp);
                return -EIO;
        }
        *ret_id = json_integer_value(json_object_get(ans, "agent_id"));
        memcpy(ret_secret, secret, CCLIENT_SECRET_HEX + 1);
        explicit_bzero(resp.body, resp.len);
        json_decref(ans);
        cclient_resp_clear(&resp);
        return 0;
}
