/* Fuzz target: the MySQL packets a server sends during login (a local
 * port may be held by anything, so they are untrusted input). */
#include <stddef.h>
#include <stdint.h>

#include "scan/weakpass/mysqlauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        mysqlauth_handshake_t hs;
        mysqlauth_reply_t rep;
        uint8_t out[32];
        char user[64];
        size_t n;

        if (mysqlauth_parse_handshake(data, size, &hs) == 0 && hs.protocol == 10)
                (void)mysqlauth_scramble("mysql_native_password", "pw", hs.scramble,
                                         hs.scramble_len, out, &n);
        if (mysqlauth_parse_reply(data, size, &rep) == 0 && rep.kind == MYSQLAUTH_REPLY_SWITCH)
                (void)mysqlauth_scramble(rep.plugin, "pw", rep.data, rep.data_len, out, &n);
        (void)mysqlauth_parse_row(data, size, user, sizeof(user));
        return 0;
}
