#include "detect/login/utmp.h"

#include <errno.h>
#include <string.h>

#include "detect/login/logmsg.h"

#define OFF_TYPE 0
#define OFF_PID  4
#define OFF_LINE 8
#define OFF_USER 44
#define OFF_HOST 76
#define OFF_SEC  340
#define OFF_USEC 344
#define OFF_ADDR 348
#define LINE_LEN 32
#define USER_LEN 32
#define HOST_LEN 256

#define UT_USER_PROCESS  7
#define UT_LOGIN_PROCESS 6
#define UT_TYPE_MAX      9

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int16_t le16(const uint8_t *p)
{
        return (int16_t)((uint16_t)p[0] | (uint16_t)p[1] << 8);
}

bool utmp_looks_like(const uint8_t *data, size_t n)
{
        int16_t type;

        if (n < UTMP_RECORD_SIZE || n % UTMP_RECORD_SIZE)
                return false;
        type = le16(data + OFF_TYPE);
        return type >= 0 && type <= UT_TYPE_MAX && le32(data + OFF_USEC) < 1000000 &&
               data[2] == 0 && data[3] == 0;
}

/* A local display or terminal multiplexer, not a remote host. */
static bool local_host(const char *h, size_t n)
{
        return n == 0 || h[0] == ':' || memchr(h, '(', n) != NULL;
}

int utmp_parse_record(const uint8_t *rec, size_t n, bool btmp, const char *file, uint64_t recno,
                      logevent_t *e)
{
        const char *line = (const char *)rec + OFF_LINE, *user = (const char *)rec + OFF_USER;
        const char *host = (const char *)rec + OFF_HOST;
        size_t line_len, user_len, host_len;
        int16_t type;
        uint32_t sec, usec;
        static const uint8_t zero[16];
        bool has_addr;
        logmsg_t m = { .file = file, .line = recno, .host = "" };

        if (n != UTMP_RECORD_SIZE)
                return -EINVAL;
        type = le16(rec + OFF_TYPE);
        sec = le32(rec + OFF_SEC);
        usec = le32(rec + OFF_USEC);
        if (type < 0 || type > UT_TYPE_MAX || usec >= 1000000)
                return -EINVAL;
        line_len = strnlen(line, LINE_LEN);
        user_len = strnlen(user, USER_LEN);
        host_len = strnlen(host, HOST_LEN);
        has_addr = memcmp(rec + OFF_ADDR, zero, 16) != 0;
        if (user_len == 0)
                return 0;
        if (btmp) {
                if (type != UT_LOGIN_PROCESS && type != UT_USER_PROCESS)
                        return 0;
        } else if (type != UT_USER_PROCESS || (!has_addr && local_host(host, host_len)))
                return 0;
        m.time_us = (int64_t)sec * 1000000 + usec;
        m.pid = (pid_t)le32(rec + OFF_PID);
        if (m.pid < 0)
                m.pid = 0;
        logmsg_event_init(e, &m, logmsg_starts(line, line_len, LIT("ssh:")) ? "sshd" : "login");
        e->kind = btmp ? LOGEVENT_AUTH_FAILURE : LOGEVENT_AUTH_SUCCESS;
        logevent_set(e, e->user, sizeof(e->user), user, user_len);
        if (has_addr) {
                const uint8_t *a = rec + OFF_ADDR;
                ipaddr_t ip = { 0 };
                char buf[IPADDR_STR_MAX];

                /* IPv4 fills only the first word. */
                if (memcmp(a + 4, zero, 12) == 0) {
                        ip.family = AF_INET;
                        memcpy(ip.bytes, a, 4);
                } else {
                        ip.family = AF_INET6;
                        memcpy(ip.bytes, a, 16);
                        if (memcmp(ip.bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
                                memmove(ip.bytes, ip.bytes + 12, 4);
                                memset(ip.bytes + 4, 0, 12);
                                ip.family = AF_INET;
                        }
                }
                ipaddr_format(&ip, buf);
                logmsg_set_src(e, buf, strlen(buf));
        } else if (!local_host(host, host_len))
                (void)logmsg_set_src(e, host, host_len);
        return 1;
}
