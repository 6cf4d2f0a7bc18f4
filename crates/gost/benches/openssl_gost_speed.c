/* Reference numbers from OpenSSL + the gost engine, for comparison with `cargo bench -p gost`.
 *
 *   gcc -O2 -o /tmp/openssl_gost_speed crates/gost/benches/openssl_gost_speed.c -lcrypto
 *   /tmp/openssl_gost_speed
 *
 * Needs libssl-dev and libengine-gost-openssl. Prints operations per second (1 s per item). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/engine.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
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
    exit(1);
}

static void bench_set(ENGINE *e, const char *alg, const char *paramset, const char *label) {
    int nid = OBJ_sn2nid(alg);
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(nid, e);
    EVP_PKEY *pkey = NULL;
    if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0) die("keygen init");
    if (EVP_PKEY_CTX_ctrl_str(kctx, "paramset", paramset) <= 0) die("paramset");
    if (EVP_PKEY_keygen(kctx, &pkey) <= 0) die("keygen");
    size_t dlen = strstr(alg, "512") ? 64 : 32;
    unsigned char dgst[64], sig[128];
    memset(dgst, 0x5a, sizeof dgst);
    size_t siglen = sizeof sig;
    EVP_PKEY_CTX *sctx = EVP_PKEY_CTX_new(pkey, e);
    if (EVP_PKEY_sign_init(sctx) <= 0) die("sign init");
    long n = 0;
    double t0 = now(), t;
    do {
        siglen = sizeof sig;
        if (EVP_PKEY_sign(sctx, sig, &siglen, dgst, dlen) <= 0) die("sign");
        n++;
    } while ((t = now()) - t0 < 1.0);
    double sign_rate = n / (t - t0);
    EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new(pkey, e);
    if (EVP_PKEY_verify_init(vctx) <= 0) die("verify init");
    n = 0;
    t0 = now();
    do {
        if (EVP_PKEY_verify(vctx, sig, siglen, dgst, dlen) != 1) die("verify");
        n++;
    } while ((t = now()) - t0 < 1.0);
    printf("%-12s sign %8.0f/s  verify %8.0f/s\n", label, sign_rate, n / (t - t0));
    EVP_PKEY_CTX_free(sctx);
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(pkey);
}

static void bench_md(const char *name, size_t size) {
    const EVP_MD *md = EVP_get_digestbyname(name);
    if (!md) die(name);
    unsigned char *buf = calloc(size, 1), out[64];
    unsigned int outlen;
    long n = 0;
    double t0 = now(), t;
    do {
        EVP_Digest(buf, size, out, &outlen, md, NULL);
        n++;
    } while ((t = now()) - t0 < 1.0);
    printf("%-14s %8zu B  %8.1f MB/s\n", name, size, n * (double)size / (t - t0) / 1e6);
    free(buf);
}

int main(void) {
    ENGINE_load_builtin_engines();
    ENGINE *e = ENGINE_by_id("gost");
    if (!e || !ENGINE_init(e)) die("gost engine");
    ENGINE_set_default(e, ENGINE_METHOD_ALL);
    bench_set(e, "gost2012_256", "TCA", "TC26-256-A");
    bench_set(e, "gost2012_256", "TCB", "TC26-256-B");
    bench_set(e, "gost2012_256", "TCC", "TC26-256-C");
    bench_set(e, "gost2012_256", "TCD", "TC26-256-D");
    bench_set(e, "gost2012_512", "A", "TC26-512-A");
    bench_set(e, "gost2012_512", "B", "TC26-512-B");
    bench_set(e, "gost2012_512", "C", "TC26-512-C");
    bench_md("md_gost12_256", 8192);
    bench_md("md_gost12_256", 1 << 20);
    bench_md("md_gost12_512", 8192);
    bench_md("md_gost12_512", 1 << 20);
    return 0;
}
