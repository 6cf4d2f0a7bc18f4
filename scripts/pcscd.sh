#!/usr/bin/env bash
# pcscd for the PC/SC integration tests: one pcscd per machine, with one vsmartcard vpcd
# reader entry (port 35963 -> readers "Virtual PCD 00 00" on 35963 and "Virtual PCD 00 01" on
# 35964). The test card fixture (crates/pcsc-apdu, feature `fixture`) connects to those ports.
#
#   scripts/pcscd.sh start    # idempotent; waits until both readers are listed
#   scripts/pcscd.sh stop     # stops the pcscd this script started
#   scripts/pcscd.sh status   # exit 0 when pcscd answers and lists the vpcd readers
#
# Needs: pcscd, vsmartcard-vpcd (apt-get install -y pcscd vsmartcard-vpcd pcsc-tools).
# State: $KEYCARRIER_PCSCD_DIR (default /tmp/keycarrier-pcscd): reader.conf.d/, pcscd.pid, pcscd.log
set -euo pipefail

STATE="${KEYCARRIER_PCSCD_DIR:-/tmp/keycarrier-pcscd}"
CONF="$STATE/reader.conf.d"
PIDFILE="$STATE/pcscd.pid"
LOG="$STATE/pcscd.log"
PORT=35963
DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

readers_present() {
    # pcsc_scan / opensc-tool may be missing; ask pcscd through opensc-tool when available,
    # otherwise through the vpcd ports being open.
    if command -v opensc-tool >/dev/null 2>&1; then
        local out
        out="$(timeout 5 opensc-tool -l 2>/dev/null || true)"
        grep -q "Virtual PCD 00 00" <<<"$out" && grep -q "Virtual PCD 00 01" <<<"$out"
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$((PORT + 1))") 2>/dev/null
    fi
}

pcscd_pids() { pgrep -x pcscd || true; }

status() {
    if [[ -n "$(pcscd_pids)" ]] && readers_present; then
        echo "pcscd running (pids: $(pcscd_pids | tr '\n' ' ')), vpcd readers on ports $PORT/$((PORT + 1))"
        return 0
    fi
    if [[ -n "$(pcscd_pids)" ]]; then
        echo "pcscd running (pids: $(pcscd_pids | tr '\n' ' ')) but the vpcd readers are not listed" >&2
    else
        echo "pcscd not running" >&2
    fi
    return 1
}

start() {
    if status >/dev/null 2>&1; then
        status
        return 0
    fi
    if [[ -n "$(pcscd_pids)" ]]; then
        echo "a pcscd without the vpcd readers is running (pids: $(pcscd_pids | tr '\n' ' ')); stop it first" >&2
        return 1
    fi
    command -v pcscd >/dev/null || { echo "pcscd missing: apt-get install -y pcscd vsmartcard-vpcd" >&2; return 1; }
    [[ -e "$DRIVER" ]] || { echo "$DRIVER missing: apt-get install -y vsmartcard-vpcd" >&2; return 1; }
    mkdir -p "$CONF"
    cat >"$CONF/vpcd" <<CONFEOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$PORT
LIBPATH      $DRIVER
CHANNELID    $PORT
CONFEOF
    rm -f /run/pcscd/pcscd.comm 2>/dev/null || true
    nohup pcscd -f -a -c "$CONF" >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if readers_present; then
            echo "pcscd started (pid $(cat "$PIDFILE")), log $LOG"
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "pcscd exited; log:" >&2
            cat "$LOG" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "pcscd started but the vpcd readers did not appear in 10 s; log $LOG" >&2
    return 1
}

stop() {
    if [[ -f "$PIDFILE" ]]; then
        local pid
        pid="$(cat "$PIDFILE")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        rm -f "$PIDFILE"
        echo "pcscd stopped"
    else
        echo "no pcscd started by this script ($PIDFILE missing)"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
