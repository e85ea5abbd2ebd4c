/* Fuzz target: /etc/shadow and /etc/passwd parsers, and the parsers of the
 * hash strings found in them (bcrypt and md5crypt settings). */
#include <stddef.h>
#include <stdint.h>

#include "scan/weakpass/bcrypt.h"
#include "scan/weakpass/md5crypt.h"
#include "scan/weakpass/shadow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_t *r = report_new("fuzz", "/");
        shadow_db_t db = { 0 };

        if (!r)
                return 0;
        (void)shadow_parse((const char *)data, size, "shadow", r, &db);
        for (size_t i = 0; i < db.n; i++) {
                bcrypt_setting_t bf;
                md5crypt_setting_t md5;
                uint8_t digest[BCRYPT_DIGEST];
                (void)shadow_hash_type(db.entries[i].password);
                (void)bcrypt_parse(db.entries[i].password, &bf, digest);
                (void)md5crypt_parse(db.entries[i].password, &md5);
        }
        shadow_db_clear(&db);
        (void)shadow_parse_passwd((const char *)data, size, "passwd", r, &db);
        shadow_db_clear(&db);
        report_free(r);
        return 0;
}
