/* A stand-in for a coin miner in the process sweep's integration test. It
 * takes the options a miner takes (-o POOL-URL -u WALLET --donate-level
 * N), connects to the host and port of the -o URL, and waits holding the
 * connection, as a miner would while it mines. Without -o it just waits.
 *
 * Built twice: as is, and with MINER_STRINGS defined, which puts the
 * vocabulary of an XMRig binary (its name, options and algorithm names)
 * into the program so that vigil's YARA miner rules match its executable.
 * Nothing here mines, and it exits after ten minutes at most. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef MINER_STRINGS
/* Referenced from main so that the linker keeps them. */
static const char *const volatile miner_vocabulary[] = {
        "XMRig/%s", "xmrig", "donate-level", "--nicehash",  "--rig-id", "--randomx-1gb-pages",
        "rx/0",     "cn/r",  "randomx",      "cryptonight",
};
#endif

/* "scheme://host:port" or "host:port" into HOST and PORT. */
static int split(const char *url, char *host, size_t hn, char *port, size_t pn)
{
        const char *p = strstr(url, "://");
        const char *colon;

        p = p ? p + 3 : url;
        colon = strrchr(p, ':');
        if (!colon || colon == p || (size_t)(colon - p) >= hn || strlen(colon + 1) >= pn)
                return -1;
        memcpy(host, p, (size_t)(colon - p));
        host[colon - p] = 0;
        snprintf(port, pn, "%s", colon + 1);
        return 0;
}

int main(int argc, char **argv)
{
        const char *url = NULL;
        int fd = -1;

#ifdef MINER_STRINGS
        if (argc > 99)
                puts(miner_vocabulary[argc % 10]);
#endif
        for (int i = 1; i + 1 < argc; i++)
                if (strcmp(argv[i], "-o") == 0)
                        url = argv[i + 1];
        alarm(600);
        if (url) {
                char host[256], port[16];
                struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
                struct addrinfo *res = NULL;

                if (split(url, host, sizeof(host), port, sizeof(port)) < 0 ||
                    getaddrinfo(host, port, &hints, &res) != 0) {
                        fprintf(stderr, "fakeminer: bad pool address '%s'\n", url);
                        return 2;
                }
                fd = socket(res->ai_family, SOCK_STREAM, 0);
                if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
                        perror("fakeminer: connect");
                        return 1;
                }
                freeaddrinfo(res);
        }
        for (;;)
                pause();
}
