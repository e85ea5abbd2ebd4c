/* Live, read-only probes of network services on the host: Redis, MySQL and
 * MariaDB, the Docker Engine API, Memcached, Elasticsearch, MongoDB, plain
 * HTTP and TLS. Each probe connects to an address of the host itself (the
 * scanner passes a loopback address, or the local address a service is
 * bound to), asks one or two questions that change nothing on the server
 * (PING and INFO, a login with an empty password for the one account
 * "root", GET /version, `stats`, GET /, OP_MSG hello and listDatabases) and
 * says whether the service answered without authentication.
 *
 * Safety rules every probe keeps: no command that writes, no password
 * guessing (the MySQL probe tries the empty password once), one connection
 * per question, a connect timeout and a read timeout, a cap on every
 * response. Responses are hostile input: the parsers below are separate
 * from the network code, take byte ranges, never trust a length field
 * beyond the bytes at hand, and have fuzz targets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/macro.h"

/* Caps on responses, per question. */
#define PROBE_MAX_REDIS     (1 * MiB)
#define PROBE_MAX_HTTP_HEAD (16 * KiB)
#define PROBE_MAX_HTTP_BODY (256 * KiB)
#define PROBE_MAX_MYSQL     (64 * KiB)
#define PROBE_MAX_MONGO     (4 * MiB)
#define PROBE_MAX_MEMCACHED (64 * KiB)

typedef enum probe_verdict {
        PROBE_NO_ANSWER, /* connect refused or timed out, or no bytes came back */
        PROBE_OTHER,     /* something answered, but not in this protocol */
        PROBE_PROTECTED, /* the service asked for authentication or refused */
        PROBE_OPEN,      /* the service answered without authentication */
} probe_verdict_t;

typedef struct probe_result {
        probe_verdict_t verdict;
        /* Short texts from the answer, reduced to printable ASCII and cut to
         * their size (for evidence, never parsed again). */
        char version[64];      /* server version when it told it */
        char info[160];        /* e.g. the error the server gave, or "databases: 3" */
        char config_file[256]; /* Redis: config_file from INFO server */
} probe_result_t;

typedef struct probe_target {
        struct sockaddr_storage addr;
        socklen_t addr_len;
        int connect_timeout_ms; /* 0: 1000 */
        int io_timeout_ms;      /* per question; 0: 2000 */
} probe_target_t;

/* Fill T for ADDR_TEXT ("127.0.0.1", "::1", or any literal address) and
 * PORT with the default timeouts. Returns 0 or -EINVAL. */
int probe_target_init(probe_target_t *t, const char *addr_text, uint16_t port);

/* Each probe returns 0 with *RET filled (whatever the verdict), or -ENOMEM.
 * Network failures are verdicts, not errors. */
int probe_redis(const probe_target_t *t, probe_result_t *ret);
int probe_mysql(const probe_target_t *t, probe_result_t *ret);
int probe_docker(const probe_target_t *t, probe_result_t *ret);
int probe_memcached(const probe_target_t *t, probe_result_t *ret);
int probe_elasticsearch(const probe_target_t *t, probe_result_t *ret);
int probe_mongodb(const probe_target_t *t, probe_result_t *ret);

/* Plain HTTP: GET / answered with an HTTP status line. OPEN means "speaks
 * HTTP"; info holds the status and the redirect target when there is one;
 * *RET_HTTPS_REDIRECT (may be NULL) says the answer redirects to https://. */
int probe_http(const probe_target_t *t, probe_result_t *ret, bool *ret_https_redirect);
/* TLS: a TLS handshake completes (the certificate is not checked; only
 * whether TLS is spoken). OPEN means "speaks TLS". */
int probe_tls(const probe_target_t *t, probe_result_t *ret);

/* ---- parsers (pure functions on byte ranges; fuzzed) ------------------- */

/* Copy N bytes of S into OUT (SIZE bytes) keeping printable ASCII, every
 * other byte as '?', cut with "..." when longer. */
void probe_printable(char *out, size_t size, const char *s, size_t n);

typedef enum probe_resp_type {
        RESP_SIMPLE = '+',
        RESP_ERROR = '-',
        RESP_INTEGER = ':',
        RESP_BULK = '$',
        RESP_NULL = '_',
        RESP_OTHER = '?', /* arrays, RESP3 types: not asked for */
} probe_resp_type_t;

typedef struct probe_resp {
        probe_resp_type_t type;
        const char *data; /* payload inside the input (not NUL-terminated) */
        size_t len;
        size_t consumed; /* bytes of the input the reply took */
} probe_resp_t;

/* One Redis (RESP) reply at the start of DATA. Returns 0, -EAGAIN when more
 * bytes are needed, -EINVAL when DATA is not RESP, -E2BIG over
 * PROBE_MAX_REDIS. */
int probe_redis_parse(const char *data, size_t n, probe_resp_t *ret);
/* The value of KEY in an INFO text ("key:value" lines) into OUT (printable
 * ASCII). Returns true when found. */
bool probe_redis_info_field(const char *info, size_t n, const char *key, char *out, size_t size);

typedef struct probe_http_resp {
        int status; /* 100..599 */
        bool chunked;
        bool www_authenticate;
        char server[96];
        char location[256];
        char content_type[96];
        char *body; /* decoded body, NUL-terminated (caller frees via probe_http_resp_done) */
        size_t body_len;
} probe_http_resp_t;

/* One HTTP/1.x response in DATA; EOF says the peer closed (a body without a
 * length ends there). Returns 0, -EAGAIN when more bytes are needed,
 * -EINVAL when DATA is not an HTTP response, -E2BIG over the caps. */
int probe_http_parse(const char *data, size_t n, bool eof, probe_http_resp_t *ret);
void probe_http_resp_done(probe_http_resp_t *r);

/* MySQL protocol: one packet (3-byte length, sequence id, payload). */
typedef struct probe_mysql_packet {
        const uint8_t *payload;
        size_t len;
        uint8_t seq;
        size_t consumed;
} probe_mysql_packet_t;
/* Returns 0, -EAGAIN when incomplete, -E2BIG over PROBE_MAX_MYSQL. */
int probe_mysql_packet(const uint8_t *data, size_t n, probe_mysql_packet_t *ret);

typedef struct probe_mysql_greeting {
        uint8_t protocol;
        char version[64];
        uint32_t caps;
        char plugin[64]; /* default authentication plugin, may be empty */
} probe_mysql_greeting_t;
/* The initial handshake packet's payload (protocol 10). An ERR packet
 * instead gives -EPERM with the message in *RET's version field; other bad
 * input -EINVAL. */
int probe_mysql_parse_greeting(const uint8_t *p, size_t n, probe_mysql_greeting_t *ret);

typedef enum probe_mysql_reply_kind {
        MYSQL_REPLY_OK,
        MYSQL_REPLY_ERR,
        MYSQL_REPLY_SWITCH, /* auth switch request: PLUGIN holds the new plugin */
        MYSQL_REPLY_MORE,   /* auth more data (caching_sha2: 3 fast ok, 4 full auth) */
        MYSQL_REPLY_OTHER,
} probe_mysql_reply_kind_t;

typedef struct probe_mysql_reply {
        probe_mysql_reply_kind_t kind;
        uint16_t error;    /* ERR: error code */
        char message[128]; /* ERR: message */
        char plugin[64];   /* SWITCH: plugin name */
        uint8_t more;      /* MORE: first data byte */
} probe_mysql_reply_t;
/* A reply payload after the handshake response. Returns 0 or -EINVAL. */
int probe_mysql_parse_reply(const uint8_t *p, size_t n, probe_mysql_reply_t *ret);

/* MongoDB OP_MSG reply. */
typedef struct probe_mongo_reply {
        bool ok; /* "ok" is 1 */
        bool has_ok;
        bool is_mongo; /* hello fields seen: maxWireVersion, isWritablePrimary, ismaster */
        int32_t code;  /* error code when not ok, or 0 */
        char errmsg[128];
        long long n_databases; /* length of "databases", -1 when absent */
} probe_mongo_reply_t;
/* One whole message (header + body) at the start of DATA. Returns 0,
 * -EAGAIN when incomplete, -EINVAL when not an OP_MSG with a valid body,
 * -E2BIG over PROBE_MAX_MONGO. *RET_CONSUMED (may be NULL) gets the size. */
int probe_mongo_parse(const uint8_t *data, size_t n, probe_mongo_reply_t *ret,
                      size_t *ret_consumed);
/* Walk one BSON document of N bytes (length prefix included) and check its
 * structure. Returns 0 or -EINVAL. Exposed for the fuzz target. */
int probe_bson_validate(const uint8_t *doc, size_t n);

/* Memcached `stats`: "STAT name value" lines ending with "END". Returns 0
 * (OPEN: stats given; *RET's version filled), -EPERM when the server
 * answered with an error line (message in info), -EAGAIN when incomplete,
 * -EINVAL for anything else, -E2BIG over PROBE_MAX_MEMCACHED. */
int probe_memcached_parse(const char *data, size_t n, probe_result_t *ret);
