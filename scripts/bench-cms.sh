#!/usr/bin/env bash
# CMS SignedData sign/verify of a 2 KiB payment order: ours (criterion, `cargo bench -p keycarrier-cms-sign
# --bench cms`, keys on a soft token) against OpenSSL 3's CMS_sign / CMS_verify (+ gost engine),
# measured in the same run on the same machine. Prints BENCHMARKS.md rows.
#
#   scripts/bench-cms.sh
#
# Benchmark tooling only: the C harness links libcrypto; the library never does. OpenSSL runs
# before and after ours and the two runs are averaged, to spread machine drift over both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in libssl-dev libengine-gost-openssl gcc openssl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/openssl_cms_speed" crates/cms-sign/benches/openssl_cms_speed.c -lcrypto
(
    cd "$work"
    E="-engine gost"
    openssl genpkey $E -algorithm gost2012_256 -pkeyopt paramset:TCA -out g256.key 2>/dev/null
    openssl req $E -x509 -new -key g256.key -md_gost12_256 -days 30 -subj "/C=RU/O=Romashka/CN=Bench" -out g256.pem 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
    openssl req -x509 -new -key rsa.key -sha256 -days 30 -subj "/C=RU/O=Romashka/CN=Bench" -out rsa.pem 2>/dev/null
)
anchors=(gost256 "$work/g256.key" "$work/g256.pem" rsa2048 "$work/rsa.key" "$work/rsa.pem")
"$work/openssl_cms_speed" "${anchors[@]}" > "$work/before.txt"
cargo bench -q -p keycarrier-cms-sign --bench cms -- --noplot > "$work/criterion.txt" 2>&1
"$work/openssl_cms_speed" "${anchors[@]}" > "$work/after.txt"

python3 - "$work" <<'PY'
import json, os, re, sys
work = sys.argv[1]
def openssl(path):
    rates = {}
    for line in open(path):
        m = re.match(r"(\S+)\s+sign\s+([\d.]+)/s\s+verify\s+([\d.]+)/s", line)
        if m: rates[m[1]] = (float(m[2]), float(m[3]))
    return rates
r1, r2 = openssl(f"{work}/before.txt"), openssl(f"{work}/after.txt")
def ours_ns(group, fn):
    path = os.path.join("target", "criterion", group, fn, "new", "estimates.json")
    return json.load(open(path))["mean"]["point_estimate"]
cmd = "`scripts/bench-cms.sh`"
labels = {"gost256": "GOST TC26-256-A", "rsa2048": "RSA-2048"}
for name in r1:
    for i, op in enumerate(["sign", "verify"]):
        ours = 1e9 / ours_ns(f"cms_{name}", op)
        anchor = (r1[name][i] + r2[name][i]) / 2
        print(f"| CMS {op} 2 KiB, {labels.get(name, name)} (soft token) | {ours:,.0f}/s | OpenSSL CMS_{op} {anchor:,.0f}/s | {ours/anchor:.2f}× | {cmd} |")
PY
