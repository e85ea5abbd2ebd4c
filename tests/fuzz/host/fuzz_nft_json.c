/* Fuzz target: the nftables JSON ruleset reader and the evaluation of the
 * rules it builds (jumps, sets, verdict maps) for a few ports. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "inventory/host/firewall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint16_t ports[] = { 22, 80, 443, 3306, 6379, 11211 };
        fw_t *fw = fw_new();
        char *err = NULL;

        if (!fw)
                return 0;
        if (fw_add_nft_json(fw, (const char *)data, size, &err) == 0)
                for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
                        (void)fw_port_state(fw, AF_UNSPEC, IPPROTO_TCP, ports[i]);
                        (void)fw_port_state(fw, AF_INET, IPPROTO_UDP, ports[i]);
                }
        free(err);
        fw_free(fw);
        return 0;
}
