/* OpenSSL's CMS_verify with the whole trust decision, for comparison with
 * `cargo bench -p cms-sign --bench cms_full_verify`: a GOST 2012-256 SignedData over a 2 KiB
 * payment order, signer certificate -> intermediate CA -> root (the only trusted certificate),
 * a CRL of each CA, checked for every certificate (X509_V_FLAG_CRL_CHECK | CRL_CHECK_ALL, as
 * `openssl cms -verify -crl_check_all`), S/MIME signing purpose.
 *
 *   gcc -O2 -o /tmp/openssl_cms_full_verify crates/cms-sign/benches/openssl_cms_full_verify.c -lcrypto
 *   /tmp/openssl_cms_full_verify SIGNED.der TRUSTED_AND_CRLS.pem
 *
 * Needs libssl-dev and libengine-gost-openssl. Prints verifications per second (2 s). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/cms.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv) {
    if (argc != 3) die("usage: SIGNED.der TRUSTED_AND_CRLS.pem");
    ENGINE_load_builtin_engines();
    ENGINE *e = ENGINE_by_id("gost");
    if (!e || !ENGINE_init(e) || !ENGINE_set_default(e, ENGINE_METHOD_ALL)) die("gost engine");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die("open CMS");
    static unsigned char der[1 << 16];
    long len = (long)fread(der, 1, sizeof der, f);
    fclose(f);
    X509_STORE *store = X509_STORE_new();
    if (X509_STORE_load_file(store, argv[2]) != 1) die("load trusted certificate and CRLs");
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    long n = 0;
    double t0 = now(), t;
    do {
        const unsigned char *p = der;
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len);
        if (!cms) die("d2i");
        BIO *out = BIO_new(BIO_s_mem());
        if (CMS_verify(cms, NULL, store, NULL, out, CMS_BINARY) != 1) die("CMS_verify");
        BIO_free(out);
        CMS_ContentInfo_free(cms);
        n++;
    } while ((t = now()) - t0 < 2.0);
    printf("full-verify %8.0f/s\n", n / (t - t0));
    X509_STORE_free(store);
    return 0;
}
