/*
 * server/wsframe.c: RFC 6455 frame headers and base64 (wsframe.h).
 */
#include <string.h>

#include "wsframe.h"

size_t wsf_header(unsigned char *h, unsigned opcode, uint64_t len, const unsigned char *mask)
{
    unsigned char m = mask ? 0x80 : 0;
    size_t n = 2;
    h[0] = (unsigned char)(0x80 | opcode); /* FIN: orca sends whole messages */
    if (len < 126) {
        h[1] = (unsigned char)(m | len);
    } else if (len < 65536) {
        h[1] = m | 126;
        h[2] = (unsigned char)(len >> 8), h[3] = (unsigned char)len;
        n = 4;
    } else {
        h[1] = m | 127;
        for (int k = 0; k < 8; k++)
            h[2 + k] = (unsigned char)(len >> (56 - 8 * k));
        n = 10;
    }
    if (mask) {
        memcpy(h + n, mask, 4);
        n += 4;
    }
    return n;
}

void wsf_mask(unsigned char *p, size_t n, const unsigned char *mask)
{
    for (size_t k = 0; k < n; k++)
        p[k] ^= mask[k & 3];
}

int wsf_parse(const unsigned char *p, size_t have, wsf_frame *f)
{
    size_t n = 2;
    if (have < 2)
        return 0;
    f->fin = p[0] >> 7, f->opcode = p[0] & 15, f->masked = p[1] >> 7;
    f->len = p[1] & 127;
    if (f->len == 126) {
        if (have < 4)
            return 0;
        f->len = (uint64_t)p[2] << 8 | p[3];
        n = 4;
    } else if (f->len == 127) {
        if (have < 10)
            return 0;
        f->len = 0;
        for (int k = 0; k < 8; k++)
            f->len = f->len << 8 | p[2 + k];
        n = 10;
    }
    if (f->masked) {
        if (have < n + 4)
            return 0;
        memcpy(f->mask, p + n, 4);
        n += 4;
    }
    f->header = n;
    return 1;
}

void wsf_base64(const unsigned char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[k++] = t[v >> 18 & 63];
        out[k++] = t[v >> 12 & 63];
        out[k++] = i + 1 < n ? t[v >> 6 & 63] : '=';
        out[k++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[k] = '\0';
}
