/* OpenSSL's CMS_sign / CMS_verify on a 2 KiB payment order, for comparison with
 * `cargo bench -p cms-sign --bench cms` (same operations: attached, signed attributes with
 * signingCertificateV2 (CMS_CADES), DER out; verify without chain building
 * (CMS_NO_SIGNER_CERT_VERIFY)).
 *
 *   gcc -O2 -o /tmp/openssl_cms_speed crates/cms-sign/benches/openssl_cms_speed.c -lcrypto
 *   /tmp/openssl_cms_speed LABEL KEY.pem CERT.pem [LABEL KEY.pem CERT.pem ...]
 *
 * Needs libssl-dev and libengine-gost-openssl (loaded for GOST keys). Prints operations per
 * second (1 s per item). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/cms.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
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

static void bench(const char *label, const char *key_path, const char *cert_path,
                  const unsigned char *data, int len) {
    FILE *f = fopen(key_path, "r");
    if (!f) die("open key");
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    f = fopen(cert_path, "r");
    if (!f) die("open cert");
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!key || !cert) die("read key/cert");
    unsigned int flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES;
    unsigned char *der = NULL;
    int der_len = 0;
    long n = 0;
    double t0 = now(), t;
    do {
        BIO *in = BIO_new_mem_buf(data, len);
        CMS_ContentInfo *cms = CMS_sign(cert, key, NULL, in, flags);
        if (!cms) die("CMS_sign");
        OPENSSL_free(der);
        der = NULL;
        der_len = i2d_CMS_ContentInfo(cms, &der);
        if (der_len <= 0) die("i2d");
        CMS_ContentInfo_free(cms);
        BIO_free(in);
        n++;
    } while ((t = now()) - t0 < 1.0);
    double sign_rate = n / (t - t0);
    X509_STORE *store = X509_STORE_new();
    n = 0;
    t0 = now();
    do {
        const unsigned char *p = der;
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, der_len);
        if (!cms) die("d2i");
        BIO *out = BIO_new(BIO_s_mem());
        if (CMS_verify(cms, NULL, store, NULL, out, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1)
            die("CMS_verify");
        BIO_free(out);
        CMS_ContentInfo_free(cms);
        n++;
    } while ((t = now()) - t0 < 1.0);
    printf("%-10s sign %8.0f/s  verify %8.0f/s\n", label, sign_rate, n / (t - t0));
    X509_STORE_free(store);
    OPENSSL_free(der);
    X509_free(cert);
    EVP_PKEY_free(key);
}

int main(int argc, char **argv) {
    ENGINE_load_builtin_engines();
    ENGINE *e = ENGINE_by_id("gost");
    if (!e || !ENGINE_init(e) || !ENGINE_set_default(e, ENGINE_METHOD_ALL)) die("gost engine");
    unsigned char order[2048];
    const char *line = "Payment order 118: INN 7712345678 KPP 771201001 amount 15000-00\r\n";
    size_t l = strlen(line);
    for (size_t i = 0; i < sizeof order; i++) order[i] = (unsigned char)line[i % l];
    for (int i = 1; i + 2 < argc; i += 3) {
        bench(argv[i], argv[i + 1], argv[i + 2], order, (int)sizeof order);
    }
    return 0;
}
