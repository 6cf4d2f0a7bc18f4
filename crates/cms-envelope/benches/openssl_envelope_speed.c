/* OpenSSL's CMS_decrypt and CMS_encrypt, for comparison with
 * `cargo bench -p cms-envelope --bench envelope`: the same envelopes (made by `openssl cms
 * -encrypt`), the same recipient key and certificate, the same content sizes.
 *
 *   gcc -O2 -o /tmp/openssl_envelope_speed crates/cms-envelope/benches/openssl_envelope_speed.c -lcrypto
 *   /tmp/openssl_envelope_speed DIR PROFILE CIPHER SIZE...
 *
 * DIR holds PROFILE.crt, PROFILE.key and PROFILE-SIZE.der (an envelope of SIZE bytes). CIPHER
 * is an OpenSSL cipher name (aes-256-cbc, kuznyechik-ctr-acpkm-omac, ...). Needs libssl-dev
 * and libengine-gost-openssl. Prints "PROFILE SIZE decrypt N/s encrypt N/s" (1 s each).
 *
 * Debian's gost engine 3.0.1 cannot open its own CTR-ACPKM envelopes past the first section
 * (it re-keys differently when decrypting): CMS_decrypt does the whole work and then fails
 * the tag (or yields other bytes). Such a failed decryption is counted as done work and the
 * line says "decrypt-failing" instead of "decrypt". */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/cms.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "failed: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static unsigned char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(*len + 1);
    if (fread(buf, 1, *len, f) != (size_t)*len) die("read");
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 5) die("usage: DIR PROFILE CIPHER SIZE...");
    ENGINE_load_builtin_engines();
    ENGINE *e = ENGINE_by_id("gost");
    if (!e || !ENGINE_init(e) || !ENGINE_set_default(e, ENGINE_METHOD_ALL)) die("gost engine");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.crt", argv[1], argv[2]);
    FILE *f = fopen(path, "r");
    if (!f) die(path);
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.key", argv[1], argv[2]);
    f = fopen(path, "r");
    if (!f) die(path);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!cert || !key) die("certificate or key");
    const EVP_CIPHER *cipher = EVP_get_cipherbyname(argv[3]);
    if (!cipher) die("cipher");
    for (int i = 4; i < argc; i++) {
        long size = atol(argv[i]), len;
        snprintf(path, sizeof path, "%s/%s-%ld.der", argv[1], argv[2], size);
        unsigned char *der = slurp(path, &len);
        long n = 0, failed = 0;
        double t0 = now(), t;
        do {
            const unsigned char *p = der;
            CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
            if (!cms) die("d2i");
            BIO *out = BIO_new(BIO_s_mem());
            if (CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) != 1) {
                if (strstr(argv[3], "acpkm") == NULL) die("CMS_decrypt");
                ERR_clear_error();
                failed++;
            }
            BIO_free(out);
            CMS_ContentInfo_free(cms);
            n++;
        } while ((t = now()) - t0 < 1.0);
        double dec = n / (t - t0);
        unsigned char *content = calloc(size, 1);
        n = 0;
        t0 = now();
        do {
            BIO *in = BIO_new_mem_buf(content, (int)size);
            /* As `openssl cms -encrypt` does it: the recipient is added with its own key
             * context (CMS_KEY_PARAM), which the gost engine needs to choose KExp15. */
            CMS_ContentInfo *cms = CMS_encrypt(NULL, NULL, cipher, CMS_BINARY | CMS_PARTIAL);
            if (!cms) die("CMS_encrypt");
            if (!CMS_add1_recipient_cert(cms, cert, CMS_KEY_PARAM)) die("CMS_add1_recipient_cert");
            if (CMS_final(cms, in, NULL, CMS_BINARY) != 1) die("CMS_final");
            unsigned char *outder = NULL;
            if (i2d_CMS_ContentInfo(cms, &outder) <= 0) die("i2d");
            OPENSSL_free(outder);
            CMS_ContentInfo_free(cms);
            BIO_free(in);
            n++;
        } while ((t = now()) - t0 < 1.0);
        printf("%s %ld %s %.1f/s encrypt %.1f/s\n", argv[2], size,
               failed ? "decrypt-failing" : "decrypt", dec, n / (t - t0));
        free(content);
        free(der);
    }
    return 0;
}
