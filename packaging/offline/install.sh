#!/bin/sh
# Install Enclave from this offline bundle: no network is used or needed.
#
#   ./install.sh [--prefix DIR] [--key RELEASE_KEY.asc] [--python PYTHON] [--no-selfcheck]
#
# 1. With --key: checks the bundle's OpenPGP signature and every file (verify.py).
#    Without it: checks every file against SHA256SUMS only (integrity, not authenticity).
# 2. Creates a fresh virtual environment in PREFIX/venv (default /opt/enclave as root,
#    ~/.local/opt/enclave otherwise) and installs the bundled wheels with --no-index.
# 3. Copies the verified models to PREFIX/models and writes PREFIX/bin/enclave.
# 4. Runs `enclave selfcheck` (models load, a document is ingested, a question answered).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then prefix=/opt/enclave; else prefix="$HOME/.local/opt/enclave"; fi
key=""
python="${PYTHON:-python3}"
selfcheck=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --key) key="$2"; shift 2 ;;
        --python) python="$2"; shift 2 ;;
        --no-selfcheck) selfcheck=0; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "install: unknown argument $1" >&2; exit 2 ;;
    esac
done
say() { echo "install: $*"; }

if [ -n "$key" ]; then
    "$python" "$here/verify.py" "$here" --key "$key"
else
    say "no --key given: checking integrity only (SHA256SUMS), not the signature"
    (cd "$here" && sha256sum --quiet --strict -c SHA256SUMS)
fi

want=$(cat "$here/PYTHON_TAG")
have=$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
if [ "$want" != "$have" ]; then
    echo "install: this bundle is for $want, but $python is $have (use --python)" >&2
    exit 1
fi

say "creating $prefix/venv"
rm -rf "$prefix/venv"
mkdir -p "$prefix/bin" "$prefix/models"
"$python" -m venv "$prefix/venv"
PIP_CONFIG_FILE=/dev/null "$prefix/venv/bin/python" -m pip install --quiet --no-index \
    --no-cache-dir --disable-pip-version-check --find-links "$here/wheels" enclave
# Without their declared dependencies (requirements-no-deps.txt says why).
PIP_CONFIG_FILE=/dev/null "$prefix/venv/bin/python" -m pip install --quiet --no-index \
    --no-cache-dir --disable-pip-version-check --find-links "$here/wheels" --no-deps \
    -r "$here/requirements-no-deps.txt"

say "installing the models into $prefix/models"
for model in "$here"/models/*.gguf; do
    cp "$model" "$prefix/models/"
done
(cd "$prefix/models" && sha256sum --quiet --strict -c "$here/models/MODELS.sha256")

cat > "$prefix/bin/enclave" <<WRAPPER
#!/bin/sh
# Enclave, installed from the offline bundle $(cat "$here/BUNDLE_ID").
export ENCLAVE_MODELS_DIR="\${ENCLAVE_MODELS_DIR:-$prefix/models}"
exec "$prefix/venv/bin/python" -I -m main "\$@"
WRAPPER
chmod 755 "$prefix/bin/enclave"
say "installed: $prefix/bin/enclave"

if [ "$selfcheck" = 1 ]; then
    "$prefix/bin/enclave" selfcheck
fi
