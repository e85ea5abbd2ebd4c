/* Fuzz target: the frame parser of the port scan detector. The first byte
 * picks the link type; the rest is the frame, copied into a buffer of
 * exactly its length so a read past the end is caught. A SYN it returns
 * must carry two addresses of one family with zeroed unused bytes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "detect/netattack/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const int links[] = { NETPKT_LINK_EN10MB,     NETPKT_LINK_RAW,
                                     NETPKT_LINK_RAW_FILE,   NETPKT_LINK_LINUX_SLL,
                                     NETPKT_LINK_IPV4,       NETPKT_LINK_IPV6,
                                     NETPKT_LINK_LINUX_SLL2, 0 };
        netpkt_syn_t syn;
        uint8_t *frame;
        int r;

        if (size < 1)
                return 0;
        frame = malloc(size - 1 ? size - 1 : 1);
        if (!frame)
                return 0;
        memcpy(frame, data + 1, size - 1);
        r = netpkt_parse_syn(links[data[0] % 8], frame, size - 1, &syn);
        if (r == 0) {
                if (syn.src.family != syn.dst.family)
                        abort();
                if (syn.src.family != AF_INET && syn.src.family != AF_INET6)
                        abort();
                if (syn.src.family == AF_INET)
                        for (int i = 4; i < 16; i++)
                                if (syn.src.bytes[i] || syn.dst.bytes[i])
                                        abort();
        } else if (r != -ENOMSG && r != -EBADMSG && r != -EPROTONOSUPPORT)
                abort();
        free(frame);
        return 0;
}
