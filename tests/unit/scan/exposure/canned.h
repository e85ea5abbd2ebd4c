/* A canned server for probe tests: it listens on 127.0.0.1 on a free port,
 * and for each connection plays a script of steps (read one request framed
 * as the protocol frames it, then send a fixed reply). It stands in for a
 * service only in unit tests; the integration test talks to the real ones.
 * Header-only so the probe and scanner tests share it. */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef enum canned_frame {
        FRAME_NONE,  /* send the reply at once (server speaks first) */
        FRAME_BYTES, /* read exactly NBYTES */
        FRAME_HTTP,  /* read until an empty line */
        FRAME_MYSQL, /* one MySQL packet */
        FRAME_MONGO, /* one MongoDB message */
        FRAME_CRLF,  /* read until the data ends with CRLF */
} canned_frame_t;

typedef struct canned_step {
        canned_frame_t frame;
        size_t nbytes;
        const void *reply;
        size_t reply_len;
} canned_step_t;

typedef struct canned {
        int lfd;
        uint16_t port;
        pthread_t thread;
        const canned_step_t *steps;
        size_t n_steps;
        int max_conns;
        int conns;               /* connections served */
        unsigned char req[8192]; /* the last request of the last connection */
        size_t req_len;
} canned_t;

static int canned_fill(int fd, unsigned char *b, size_t *have, size_t want)
{
        while (*have < want) {
                ssize_t n = recv(fd, b + *have, want - *have, 0);
                if (n <= 0)
                        return -1;
                *have += (size_t)n;
        }
        return 0;
}

static int canned_read(canned_t *c, int fd, const canned_step_t *s)
{
        size_t have = 0;

        c->req_len = 0;
        switch (s->frame) {
        case FRAME_NONE:
                return 0;
        case FRAME_BYTES:
                if (canned_fill(fd, c->req, &have, s->nbytes) < 0)
                        return -1;
                break;
        case FRAME_MYSQL:
                if (canned_fill(fd, c->req, &have, 4) < 0)
                        return -1;
                if (canned_fill(fd, c->req, &have,
                                4 + (c->req[0] | c->req[1] << 8 | (size_t)c->req[2] << 16)) < 0)
                        return -1;
                break;
        case FRAME_MONGO: {
                size_t len;
                if (canned_fill(fd, c->req, &have, 4) < 0)
                        return -1;
                len = c->req[0] | c->req[1] << 8 | (size_t)c->req[2] << 16;
                if (len > sizeof(c->req) || canned_fill(fd, c->req, &have, len) < 0)
                        return -1;
                break;
        }
        case FRAME_HTTP:
        case FRAME_CRLF:
                for (;;) {
                        ssize_t n = recv(fd, c->req + have, sizeof(c->req) - have, 0);
                        if (n <= 0)
                                return -1;
                        have += (size_t)n;
                        if (s->frame == FRAME_HTTP && have >= 4 &&
                            memcmp(c->req + have - 4, "\r\n\r\n", 4) == 0)
                                break;
                        if (s->frame == FRAME_CRLF && have >= 2 &&
                            memcmp(c->req + have - 2, "\r\n", 2) == 0)
                                break;
                        if (have == sizeof(c->req))
                                return -1;
                }
                break;
        }
        c->req_len = have;
        return 0;
}

static void *canned_main(void *userdata)
{
        canned_t *c = userdata;

        for (int i = 0; i < c->max_conns; i++) {
                struct timeval tv = { .tv_sec = 10 };
                int fd = accept(c->lfd, NULL, NULL);
                if (fd < 0)
                        break;
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                c->conns++;
                for (size_t k = 0; k < c->n_steps; k++) {
                        if (canned_read(c, fd, &c->steps[k]) < 0)
                                break;
                        if (c->steps[k].reply_len &&
                            send(fd, c->steps[k].reply, c->steps[k].reply_len, MSG_NOSIGNAL) < 0)
                                break;
                }
                close(fd);
        }
        return NULL;
}

/* Start serving STEPS on up to MAX_CONNS connections. Returns 0 or -1. */
static int canned_start(canned_t *c, const canned_step_t *steps, size_t n_steps, int max_conns)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);

        memset(c, 0, sizeof(*c));
        c->steps = steps;
        c->n_steps = n_steps;
        c->max_conns = max_conns;
        c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            listen(c->lfd, 8) < 0 || getsockname(c->lfd, (struct sockaddr *)&a, &len) < 0)
                return -1;
        c->port = ntohs(a.sin_port);
        return pthread_create(&c->thread, NULL, canned_main, c) == 0 ? 0 : -1;
}

static void canned_stop(canned_t *c)
{
        /* shutdown wakes a thread blocked in accept */
        shutdown(c->lfd, SHUT_RDWR);
        pthread_join(c->thread, NULL);
        close(c->lfd);
}
