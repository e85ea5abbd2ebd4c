/* Fuzz target: the iptables-save text reader and the evaluation of what it
 * builds. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "inventory/host/firewall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fw_t *fw = fw_new();
        char *err = NULL;

        if (!fw)
                return 0;
        if (fw_add_iptables_save(fw, (const char *)data, size, AF_INET, &err) == 0) {
                (void)fw_port_state(fw, AF_INET, IPPROTO_TCP, 22);
                (void)fw_port_state(fw, AF_INET, IPPROTO_UDP, 53);
        }
        free(err);
        fw_free(fw);
        return 0;
}
