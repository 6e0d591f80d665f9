# Shared by ops/ scripts: make sure the machine has what the project needs.
# shellcheck shell=bash

# PostgreSQL server programs (initdb, pg_ctl): Debian's postgresql package when missing.
ensure_postgres() {
    if ! postgres_bin >/dev/null 2>&1; then
        echo "ops: installing PostgreSQL (apt-get install postgresql)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    fi
}

# The folder holding initdb/pg_ctl/pg_dump: PATH first, else the newest /usr/lib/postgresql/N/bin.
postgres_bin() {
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# A browser for the dashboard test: Debian's chromium and CJK fonts when missing. Prints its path.
ensure_chromium() {
    if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
        echo "ops: installing chromium and fonts-noto-cjk (apt-get install)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
    fi
    command -v chromium
}

# libqrencode's headers and pkg-config file, to build (the QR codes of the contact pages): Debian's libqrencode-dev
# when missing. Running the binary needs only libqrencode4, which libqrencode-dev pulls in.
ensure_qrencode() {
    if ! dpkg-query -W -f='${Status}' libqrencode-dev 2>/dev/null | grep -q 'install ok installed'; then
        echo "ops: installing libqrencode-dev (apt-get install)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends libqrencode-dev >/dev/null
    fi
}

# zbarimg, which reads the QR codes back in the tests: Debian's zbar-tools when missing. Prints its path.
ensure_zbarimg() {
    if ! command -v zbarimg >/dev/null 2>&1; then
        echo "ops: installing zbar-tools for zbarimg (apt-get install)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends zbar-tools >/dev/null
    fi
    command -v zbarimg
}

# rsvg-convert, which draws the QR codes' SVG as PNG for zbarimg in the tests: Debian's librsvg2-bin when missing.
# Prints its path.
ensure_rsvg_convert() {
    if ! command -v rsvg-convert >/dev/null 2>&1; then
        echo "ops: installing librsvg2-bin for rsvg-convert (apt-get install)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends librsvg2-bin >/dev/null
    fi
    command -v rsvg-convert
}

# Prometheus's promtool, to check the alert rules and the /metrics text: Debian's prometheus package when missing.
# Prints its path.
ensure_promtool() {
    if ! command -v promtool >/dev/null 2>&1; then
        echo "ops: installing prometheus for promtool (apt-get install)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    fi
    command -v promtool
}

# Schemathesis (the API fuzzer of the contract test) in a virtual environment under .build-tools/, pinned; prints its
# path. PyPI is the only source, so it is installed with pip, never system-wide.
ensure_schemathesis() {
    local venv=.build-tools/schemathesis version=4.32.5
    if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
        echo "ops: installing schemathesis $version (pip, in $venv)" >&2
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version" >&2
    fi
    echo "$PWD/$venv/bin/schemathesis"
}

ensure_swift() {
    command -v swift >/dev/null 2>&1 || { echo "ops: swift is not on PATH (Swift 6.2 or newer is needed)" >&2; exit 1; }
}

# A port on 127.0.0.1 that nothing listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
