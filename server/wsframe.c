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

/* SHA-1 (FIPS 180-4), only for the handshake's accept value: a few dozen
 * lines rather than a crypto library for orcactl and the load driver. */
static uint32_t rol(uint32_t x, unsigned k)
{
    return x << k | x >> (32 - k);
}

static void sha1_block(uint32_t h[5], const unsigned char *b)
{
    uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
    for (int k = 0; k < 16; k++)
        w[k] = (uint32_t)b[4 * k] << 24 | (uint32_t)b[4 * k + 1] << 16 | (uint32_t)b[4 * k + 2] << 8 |
               b[4 * k + 3];
    for (int k = 16; k < 80; k++)
        w[k] = rol(w[k - 3] ^ w[k - 8] ^ w[k - 14] ^ w[k - 16], 1);
    for (int k = 0; k < 80; k++) {
        uint32_t f = k < 20 ? (bb & c) | (~bb & d) : k < 40 ? bb ^ c ^ d
                   : k < 60 ? (bb & c) | (bb & d) | (c & d) : bb ^ c ^ d;
        uint32_t kk = k < 20 ? 0x5a827999u : k < 40 ? 0x6ed9eba1u : k < 60 ? 0x8f1bbcdcu : 0xca62c1d6u;
        uint32_t t = rol(a, 5) + f + e + kk + w[k];
        e = d, d = c, c = rol(bb, 30), bb = a, a = t;
    }
    h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

static void sha1(const unsigned char *p, size_t n, unsigned char out[20])
{
    uint32_t h[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u };
    unsigned char last[128];
    size_t full = n / 64 * 64, rest = n - full;
    for (size_t k = 0; k < full; k += 64)
        sha1_block(h, p + k);
    memset(last, 0, sizeof last);
    memcpy(last, p + full, rest);
    last[rest] = 0x80;
    size_t blocks = rest + 9 > 64 ? 2 : 1;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++)
        last[blocks * 64 - 1 - k] = (unsigned char)(bits >> (8 * k));
    for (size_t k = 0; k < blocks; k++)
        sha1_block(h, last + 64 * k);
    for (int k = 0; k < 20; k++)
        out[k] = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4)));
}

void wsf_accept(const char *key, char *out)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char buf[64 + sizeof guid], digest[20];
    size_t n = strnlen(key, 64);
    memcpy(buf, key, n);
    memcpy(buf + n, guid, sizeof guid - 1);
    sha1(buf, n + sizeof guid - 1, digest);
    wsf_base64(digest, sizeof digest, out);
}
