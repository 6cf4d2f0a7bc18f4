#!/usr/bin/env bash
# Detached CMS signing of a 1 GiB file, streamed (issue 7): ours (`examples/sign.rs --detached`,
# GOST-256 key on a soft token, 64 KiB reads) against `openssl cms -sign` with the gost engine on
# the same file. Reports peak RSS and wall time for both, checks both signatures with OpenSSL,
# and prints BENCHMARKS.md rows.
#
#   scripts/bench-stream.sh [SIZE_MIB]      (default 1024)
#
# Benchmark tooling only; needs ~SIZE_MIB of free space in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
need=()
for p in openssl libengine-gost-openssl time; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi

cargo build -q --release --example sign
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/big.bin"

# Ours: key generated on a fresh soft token, self-signed certificate written next to it.
# The example's own report gives the time of the signing call alone (creating the token and
# its PIN-derived keys costs seconds of PBKDF2 that have nothing to do with streaming).
/usr/bin/time -f "%M %e" -o "$work/ours.time" target/release/examples/sign \
    --algorithm gost256 --in "$work/big.bin" --out "$work/ours.p7s" --detached \
    --cert "$work/ours.pem" > "$work/ours.out"
ours_sign_s=$(sed -n 's/.*signing took \([0-9.]*\) s.*/\1/p' "$work/ours.out")
openssl cms -engine gost -verify -binary -inform DER -in "$work/ours.p7s" \
    -content "$work/big.bin" -CAfile "$work/ours.pem" -out /dev/null 2> "$work/verify.txt" \
    || { cat "$work/verify.txt"; echo "FAIL: OpenSSL rejects our 1 GiB signature" >&2; exit 1; }

# Anchor: OpenSSL signs the same file detached with a GOST-256 (TC26-A) key.
E="-engine gost"
openssl genpkey $E -algorithm gost2012_256 -pkeyopt paramset:TCA -out "$work/g.key" 2>/dev/null
openssl req $E -x509 -new -key "$work/g.key" -md_gost12_256 -days 30 \
    -subj "/C=RU/O=Romashka/CN=Bench" -out "$work/g.pem" 2>/dev/null
/usr/bin/time -f "%M %e" -o "$work/openssl.time" openssl cms $E -sign -binary \
    -md md_gost12_256 -in "$work/big.bin" -signer "$work/g.pem" -inkey "$work/g.key" \
    -outform DER -out "$work/openssl.p7s" 2>/dev/null
openssl cms $E -verify -binary -inform DER -in "$work/openssl.p7s" -content "$work/big.bin" \
    -CAfile "$work/g.pem" -out /dev/null 2>/dev/null

read -r ours_kib _ < "$work/ours.time"
ours_s=$ours_sign_s
read -r ossl_kib ossl_s < "$work/openssl.time"
python3 - "$size_mib" "$ours_kib" "$ours_s" "$ossl_kib" "$ossl_s" <<'PY'
import sys
mib, ok, os_, sk, ss = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
cmd = "`scripts/bench-stream.sh`"
print(f"| CMS detached sign {mib} MiB file, GOST-256, streamed: time of the signing call | {os_:.1f} s ({mib/os_:.0f} MiB/s) | whole `openssl cms -sign` run {ss:.1f} s | {ss/os_:.2f}× | {cmd} |")
print(f"| same: peak RSS | {ok:,} KiB | openssl cms -sign {sk:,} KiB | {sk/ok:.2f}× | {cmd} |")
PY
