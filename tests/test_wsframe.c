/*
 * test_wsframe.c: RFC 6455 frame headers and base64 (server/wsframe.c),
 * shared by orcad, orcactl and the load driver: every length encoding
 * round-trips, masked and not; a header cut short asks for more; masking
 * twice gives the payload back; base64 matches the RFC's handshake example.
 */
#include "testutil.h"

#include "wsframe.h"

static void test_header_round_trip(void **state)
{
    (void)state;
    static const uint64_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536, 1u << 20, 5000000000ull };
    static const size_t plain[] = { 2, 2, 2, 4, 4, 4, 10, 10, 10 };
    const unsigned char key[4] = { 1, 2, 3, 4 };
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++)
        for (int masked = 0; masked < 2; masked++) {
            unsigned char h[WSF_HEADER_MAX];
            size_t n = wsf_header(h, WSF_TEXT, lens[k], masked ? key : NULL);
            assert_int_equal(n, plain[k] + (masked ? 4 : 0));
            wsf_frame f;
            for (size_t cut = 0; cut < n; cut++)
                assert_int_equal(wsf_parse(h, cut, &f), 0); /* more bytes, please */
            assert_int_equal(wsf_parse(h, n, &f), 1);
            assert_int_equal(f.fin, 1);
            assert_int_equal(f.opcode, WSF_TEXT);
            assert_int_equal(f.masked, (unsigned)masked);
            assert_true(f.len == lens[k]);
            assert_int_equal(f.header, n);
            if (masked)
                assert_memory_equal(f.mask, key, 4);
        }
}

static void test_mask_twice(void **state)
{
    (void)state;
    unsigned char p[] = "{\"v\":1,\"id\":7,\"type\":\"queues\"}";
    const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
    unsigned char q[sizeof p];
    memcpy(q, p, sizeof p);
    wsf_mask(q, sizeof p - 1, key);
    assert_memory_not_equal(q, p, sizeof p - 1);
    wsf_mask(q, sizeof p - 1, key);
    assert_memory_equal(q, p, sizeof p);
}

static void test_base64(void **state)
{
    (void)state;
    char out[64];
    wsf_base64((const unsigned char *)"the sample nonce", 16, out);
    assert_string_equal(out, "dGhlIHNhbXBsZSBub25jZQ=="); /* RFC 6455 1.3 */
    wsf_base64((const unsigned char *)"ab", 2, out);
    assert_string_equal(out, "YWI=");
    wsf_base64((const unsigned char *)"abc", 3, out);
    assert_string_equal(out, "YWJj");
    wsf_base64((const unsigned char *)"", 0, out);
    assert_string_equal(out, "");
}

/* RFC 6455's own example (1.3), and keys of other lengths (SHA-1's
 * padding into one block or two). */
static void test_accept(void **state)
{
    (void)state;
    char out[29];
    wsf_accept("dGhlIHNhbXBsZSBub25jZQ==", out);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    wsf_accept("", out); /* SHA-1 of the GUID alone */
    assert_string_equal(out, "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
    wsf_accept("x3JJHMbDL1EzLkh9GBhXDw==", out);
    assert_string_equal(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_mask_twice),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_accept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
