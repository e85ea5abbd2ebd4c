#include "scan/vuln/feedupdate.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/macro.h"
#include "scan/vuln/ecosystem.h"

/* Longest ETag or Last-Modified value kept. */
#define VALIDATOR_MAX 512

void feed_source_list_clear(feed_source_list_t *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].name);
                free(l->v[i].url);
        }
        free(l->v);
        *l = (feed_source_list_t){ 0 };
}

int feed_source_list_add(feed_source_list_t *l, const char *name, const char *url,
                         feed_format_t format)
{
        feed_source_t *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        char *n, *u;

        if (!v)
                return -ENOMEM;
        l->v = v;
        n = strdup(name);
        u = strdup(url);
        if (!n || !u) {
                free(n);
                free(u);
                return -ENOMEM;
        }
        l->v[l->n++] = (feed_source_t){ n, u, format };
        return 0;
}

static int add_osv(feed_source_list_t *l, const char *ecosystem, const char *path)
{
        char name[128], url[512];

        snprintf(name, sizeof(name), "osv-%s", ecosystem);
        for (char *p = name; *p; p++)
                if (*p == ' ')
                        *p = '-';
        snprintf(url, sizeof(url), "%s/%s/all.zip", FEEDUPDATE_OSV_BASE, path);
        return feed_source_list_add(l, name, url, FEED_FORMAT_OSV);
}

int feedupdate_default_sources(const char *os_ecosystem, feed_source_list_t *ret)
{
        static const struct {
                const char *base;
                const char *path; /* URL path segment of osv.dev's bucket */
        } os[] = {
                { "Debian", "Debian" },       { "Ubuntu", "Ubuntu" },
                { "Alpine", "Alpine" },       { "Rocky Linux", "Rocky%20Linux" },
                { "AlmaLinux", "AlmaLinux" }, { "Red Hat", "Red%20Hat" },
                { "SUSE", "SUSE" },           { "openSUSE", "openSUSE" },
        };
        static const char *const apps[] = { "Maven", "npm", "PyPI", "Packagist" };
        char base[ECOSYSTEM_MAX + 1] = "";
        int r;

        if (os_ecosystem && ecosystem_base(os_ecosystem, base, sizeof(base)) < 0)
                base[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(os); i++)
                if (strcmp(base, os[i].base) == 0 && (r = add_osv(ret, os[i].base, os[i].path)) < 0)
                        return r;
        if (strcmp(base, "Debian") == 0 &&
            (r = feed_source_list_add(ret, "debian-tracker", FEEDUPDATE_DEBIAN_TRACKER,
                                      FEED_FORMAT_TRACKER)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(apps); i++)
                if ((r = add_osv(ret, apps[i], apps[i])) < 0)
                        return r;
        return 0;
}

void feedupdate_opts_default(feedupdate_opts_t *o, const feedimport_opts_t *import)
{
        *o = (feedupdate_opts_t){
                .max_size = 4 * (uint64_t)GiB,
                .connect_timeout = 30,
                .timeout = 3600,
                .low_speed_time = 60,
                .import = import,
        };
}

typedef struct transfer {
        int fd;
        uint64_t bytes;
        uint64_t max;
        bool too_big;
        int write_errno;
        char etag[VALIDATOR_MAX + 1];
        char last_modified[VALIDATOR_MAX + 1];
} transfer_t;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
        transfer_t *t = userdata;
        size_t n = size * nmemb, done = 0;

        if (t->bytes + n > t->max) {
                t->too_big = true;
                return 0;
        }
        while (done < n) {
                ssize_t k = write(t->fd, data + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        t->write_errno = k < 0 ? errno : EIO;
                        return 0;
                }
                done += (size_t)k;
        }
        t->bytes += n;
        return n;
}

/* Keep VALUE of header line LINE when it is NAME; values with control
 * characters or over the cap are dropped (they would never be sent back). */
static void take_header(const char *line, size_t n, const char *name, char *out)
{
        size_t nl = strlen(name), start, end;

        if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return;
        start = nl + 1;
        end = n;
        while (start < end && (line[start] == ' ' || line[start] == '\t'))
                start++;
        while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
                               line[end - 1] == ' ' || line[end - 1] == '\t'))
                end--;
        if (end - start == 0 || end - start > VALIDATOR_MAX)
                return;
        for (size_t i = start; i < end; i++)
                if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
                        return;
        memcpy(out, line + start, end - start);
        out[end - start] = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
        transfer_t *t = userdata;
        size_t n = size * nmemb;

        /* A new response (after a redirect) starts over. */
        if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                t->etag[0] = 0;
                t->last_modified[0] = 0;
        }
        take_header(data, n, "ETag", t->etag);
        take_header(data, n, "Last-Modified", t->last_modified);
        return n;
}

static bool safe_header_value(const char *s)
{
        if (!s || !*s || strlen(s) > VALIDATOR_MAX)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

int feedupdate_fetch(sqlite3 *db, const char *state_dir, const feed_source_t *src,
                     const feedupdate_opts_t *o, feed_counts_t *ret_counts,
                     feedupdate_result_t *ret, char **ret_error)
{
        _cleanup_free_ char *tmp = NULL, *etag = NULL, *lm = NULL, *h1 = NULL, *h2 = NULL;
        struct curl_slist *headers = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        feedimport_opts_t io = *o->import;
        transfer_t t = { .fd = -1, .max = o->max_size };
        bool https;
        CURL *c = NULL;
        CURLcode cc;
        long status = 0;
        int64_t feed_id;
        int r;

        *ret_error = NULL;
        https = strncasecmp(src->url, "https://", 8) == 0;
        if (!https && strncasecmp(src->url, "http://", 7) != 0) {
                *ret_error =
                        str_printf("%s: only http:// and https:// URLs are supported", src->url);
                return -EINVAL;
        }
        if (feeddb_feed_validators(db, src->name, &etag, &lm) < 0) {
                *ret_error = str_printf("cannot read the feed store: %s", sqlite3_errmsg(db));
                return -EIO;
        }
        tmp = str_printf("%s/feed-download-XXXXXX", state_dir);
        if (!tmp)
                return -ENOMEM;
        t.fd = mkostemp(tmp, O_CLOEXEC);
        if (t.fd < 0) {
                r = -errno;
                *ret_error = str_printf("cannot create a temporary file in %s: %s", state_dir,
                                        strerror(errno));
                return r;
        }

        c = curl_easy_init();
        if (!c) {
                r = -ENOMEM;
                goto out;
        }
        curl_easy_setopt(c, CURLOPT_URL, src->url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->ca_file)
                curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_time);
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil/" VIGIL_VERSION);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
        /* Ask for the body only when it changed since the last import. */
        if (safe_header_value(etag)) {
                h1 = str_printf("If-None-Match: %s", etag);
                if (h1)
                        headers = curl_slist_append(headers, h1);
        }
        if (safe_header_value(lm)) {
                h2 = str_printf("If-Modified-Since: %s", lm);
                if (h2)
                        headers = curl_slist_append(headers, h2);
        }
        if (headers)
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (t.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
                *ret_error = str_printf("%s: larger than %llu bytes; raise feeds.max_download_size",
                                        src->url, (unsigned long long)o->max_size);
                r = -EFBIG;
                goto out;
        }
        if (t.write_errno) {
                *ret_error = str_printf("%s: cannot write %s: %s", src->url, tmp,
                                        strerror(t.write_errno));
                r = -t.write_errno;
                goto out;
        }
        if (cc != CURLE_OK) {
                *ret_error =
                        str_printf("%s: %s", src->url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
                r = -EIO;
                goto out;
        }
        if (status == 304) {
                feeddb_feed_touch(db, src->name);
                *ret = FEEDUPDATE_NOT_MODIFIED;
                r = 0;
                goto out;
        }
        if (status != 200) {
                *ret_error = str_printf("%s: the server answered HTTP %ld", src->url, status);
                r = -EIO;
                goto out;
        }
        if (feeddb_feed_get(db, src->name,
                            src->format == FEED_FORMAT_TRACKER ? "debian-tracker" : "osv", src->url,
                            &feed_id) < 0) {
                *ret_error = str_printf("cannot record the feed source: %s", sqlite3_errmsg(db));
                r = -EIO;
                goto out;
        }
        io.display = src->url;
        io.format = src->format;
        {
                feed_counts_t counts = { 0 };
                const char *fmt = NULL;
                r = feedimport_path(db, feed_id, tmp, &io, &counts, &fmt);
                if (r < 0) {
                        *ret_error = str_printf("%s: the download could not be imported: %s",
                                                src->url, strerror(-r));
                        goto out;
                }
                if (feeddb_feed_get(db, src->name, fmt, src->url, &feed_id) < 0 ||
                    feeddb_feed_record(db, feed_id, &counts, t.etag[0] ? t.etag : NULL,
                                       t.last_modified[0] ? t.last_modified : NULL) < 0) {
                        *ret_error = str_printf("cannot record the import: %s", sqlite3_errmsg(db));
                        r = -EIO;
                        goto out;
                }
                if (ret_counts)
                        feed_counts_add(ret_counts, &counts);
        }
        *ret = FEEDUPDATE_IMPORTED;
        r = 0;
out:
        curl_slist_free_all(headers);
        if (c)
                curl_easy_cleanup(c);
        if (t.fd >= 0)
                close(t.fd);
        unlink(tmp);
        return r;
}
