#include "center/notify_send.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/text.h"

/* What a receiver answers is only kept for the error message. */
#define ANSWER_MAX 512

struct sink {
        char data[ANSWER_MAX + 1];
        size_t len;
};

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata)
{
        struct sink *s = userdata;
        size_t n = size * nmemb, k = MIN(n, ANSWER_MAX - s->len);

        memcpy(s->data + s->len, p, k);
        s->len += k;
        s->data[s->len] = '\0';
        return n;
}

struct source {
        const char *p;
        size_t n, off;
};

static size_t on_read(char *p, size_t size, size_t nmemb, void *userdata)
{
        struct source *s = userdata;
        size_t k = MIN(size * nmemb, s->n - s->off);

        memcpy(p, s->p + s->off, k);
        s->off += k;
        return k;
}

static void curl_freep(CURL **c)
{
        if (*c)
                curl_easy_cleanup(*c);
}

static void slist_freep(struct curl_slist **l)
{
        curl_slist_free_all(*l);
}

static int curl_error(CURLcode rc, const char *errbuf, char **ret_error)
{
        *ret_error = str_printf("%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

static void common_opts(CURL *c, char *errbuf, const char *protocols)
{
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)NOTIFY_SEND_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)NOTIFY_SEND_TIMEOUT_MS / 2);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
}

int notify_send_http(const char *url, const char *body, size_t n, char **ret_error)
{
        _cleanup_(curl_freep) CURL *c = curl_easy_init();
        _cleanup_(slist_freep) struct curl_slist *h = NULL, *h2 = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        struct sink answer = { .len = 0 };
        long status = 0;
        CURLcode rc;

        *ret_error = NULL;
        if (!c)
                return -ENOMEM;
        h = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        if (!h)
                return -ENOMEM;
        h2 = curl_slist_append(h, "User-Agent: vigil-center/" VIGIL_VERSION);
        if (!h2)
                return -ENOMEM;
        h = NULL; /* now part of h2 */
        common_opts(c, errbuf, "http,https");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h2);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
        rc = curl_easy_perform(c);
        if (rc != CURLE_OK)
                return curl_error(rc, errbuf, ret_error);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) {
                *ret_error = str_printf("HTTP %ld: %s", status, answer.data);
                return -EPROTO;
        }
        return 0;
}

int notify_send_mail(const notify_channel_t *ch, const char *msg, size_t n, char **ret_error)
{
        _cleanup_(curl_freep) CURL *c = curl_easy_init();
        _cleanup_(slist_freep) struct curl_slist *rcpt = NULL;
        _cleanup_free_ char *from = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        struct source src = { .p = msg, .n = n };
        CURLcode rc;

        *ret_error = NULL;
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < ch->n_to; i++) {
                _cleanup_free_ char *to = str_printf("<%s>", ch->to[i]);
                struct curl_slist *l = to ? curl_slist_append(rcpt, to) : NULL;
                if (!l)
                        return -ENOMEM;
                rcpt = l;
        }
        from = str_printf("<%s>", ch->from);
        if (!from)
                return -ENOMEM;
        common_opts(c, errbuf, "smtp,smtps");
        curl_easy_setopt(c, CURLOPT_URL, ch->url);
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &src);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
        if (ch->starttls)
                curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        if (ch->ca) {
                /* The channel's own CA (a mail server with a private
                 * certificate) replaces the system's bundle. */
                struct curl_blob ca = { .data = ch->ca,
                                        .len = strlen(ch->ca),
                                        .flags = CURL_BLOB_COPY };
                rc = curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
                if (rc != CURLE_OK) {
                        *ret_error = str_printf("ca: %s", curl_easy_strerror(rc));
                        return -EOPNOTSUPP;
                }
        }
        if (ch->username) {
                curl_easy_setopt(c, CURLOPT_USERNAME, ch->username);
                curl_easy_setopt(c, CURLOPT_PASSWORD, ch->password);
        }
        rc = curl_easy_perform(c);
        if (rc != CURLE_OK)
                return curl_error(rc, errbuf, ret_error);
        return 0;
}

/* Split "host:port" or "[v6]:port". */
static int split_address(const char *a, char host[256], char port[8])
{
        const char *colon = strrchr(a, ':');
        size_t hl;

        if (!colon || strlen(colon + 1) == 0 || strlen(colon + 1) > 5 ||
            strspn(colon + 1, "0123456789") != strlen(colon + 1))
                return -EINVAL;
        hl = (size_t)(colon - a);
        if (hl >= 2 && a[0] == '[' && a[hl - 1] == ']') {
                a++;
                hl -= 2;
        }
        if (hl == 0 || hl > 255)
                return -EINVAL;
        memcpy(host, a, hl);
        host[hl] = '\0';
        snprintf(port, 8, "%s", colon + 1);
        return 0;
}

int notify_send_syslog(const char *address, bool tcp, const char *msg, size_t n, char **ret_error)
{
        struct addrinfo hints = { .ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM }, *ai = NULL;
        struct timeval tv = { .tv_sec = NOTIFY_SEND_TIMEOUT_MS / 1000 };
        char host[256], port[8];
        _cleanup_close_ int fd = -1;
        size_t off = 0;
        int r;

        *ret_error = NULL;
        if (split_address(address, host, port) < 0) {
                *ret_error = str_printf("not HOST:PORT");
                return -EINVAL;
        }
        r = getaddrinfo(host, port, &hints, &ai);
        if (r != 0) {
                *ret_error = str_printf("cannot resolve the address: %s", gai_strerror(r));
                return -EHOSTUNREACH;
        }
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
                r = -errno;
                freeaddrinfo(ai);
                *ret_error = str_printf("socket: %s", strerror(-r));
                return r;
        }
        /* On Linux the send timeout bounds connect() too. */
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                r = -errno;
                freeaddrinfo(ai);
                *ret_error = str_printf("connect: %s", strerror(-r));
                return r;
        }
        freeaddrinfo(ai);
        while (off < n) {
                ssize_t k = send(fd, msg + off, n - off, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = errno == EAGAIN ? -ETIMEDOUT : -errno;
                        *ret_error = str_printf("send: %s", strerror(-r));
                        return r;
                }
                if (!tcp && (size_t)k != n) {
                        *ret_error = str_printf("send: short datagram");
                        return -EIO;
                }
                off += (size_t)k;
        }
        return 0;
}
