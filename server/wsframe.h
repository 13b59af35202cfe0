/*
 * server/wsframe.h: RFC 6455 framing and the handshake key's base64, the
 * parts every WebSocket speaker here needs the same: orcad's writer
 * (server/ws.c), orcactl (server/orcactl.c) and the load driver's client
 * (bench/e2e/wsc.c). No I/O, no allocation.
 */
#ifndef ORCAD_WSFRAME_H
#define ORCAD_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

#define WSF_HEADER_MAX 14 /* 2 + 8 (length) + 4 (mask) */

enum { WSF_CONT = 0, WSF_TEXT = 1, WSF_CLOSE = 8, WSF_PING = 9, WSF_PONG = 10 };

/* Write a final frame's header for opcode and a payload of len bytes into
 * h (WSF_HEADER_MAX bytes): with mask (4 bytes, a client's), the masked
 * bit and the key; NULL, a server's. Returns its length. (A client masks
 * the payload itself: wsf_mask.) */
size_t wsf_header(unsigned char *h, unsigned opcode, uint64_t len, const unsigned char *mask);

/* XOR n bytes of p with the 4-byte key (masking and unmasking alike). */
void wsf_mask(unsigned char *p, size_t n, const unsigned char *mask);

/* A frame's header, read from p (have bytes there). */
typedef struct wsf_frame {
    unsigned fin, opcode, masked;
    uint64_t len;              /* payload bytes */
    unsigned char mask[4];
    size_t header;             /* header bytes, the mask's included */
} wsf_frame;

/* 1 with *f filled when the whole header is in p; 0 when more bytes are
 * needed (have < 2, or the extended length or mask is not all there). */
int wsf_parse(const unsigned char *p, size_t have, wsf_frame *f);

/* The standard base64 of n bytes into out (4 * ceil(n / 3) + 1 bytes,
 * NUL-terminated): the handshake's Sec-WebSocket-Key and -Accept. */
void wsf_base64(const unsigned char *in, size_t n, char *out);

/* The Sec-WebSocket-Accept a server must answer to the client's key (RFC
 * 6455 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID) into
 * out (29 bytes, NUL-terminated); key is at most 64 characters (a client
 * sends 24). A client checks the answer with it. */
void wsf_accept(const char *key, char *out);

#endif
