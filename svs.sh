#!/usr/bin/env bash
# One entry point for everything: bootstraps the toolchain on first use, then runs the command.
#
#   ./svs.sh run [options]   the main job: `ape run sequencer` (local anvil chains + demo)
#   ./svs.sh test [args]     the test suite: `ape test` (pytest arguments pass through); installs
#                            Debian's chromium for the status page test if it is missing
#   ./svs.sh mutate [opts]   mutation check: every mutant in tools/mutate.py must fail the suite
#   ./svs.sh slither [args]  static analysis of contracts/: fails on any untriaged finding
#   ./svs.sh setup           only install: .venv (requirements.lock), node_modules (package-lock) and
#                            .venv-slither (requirements-slither.lock)
#   ./svs.sh ape ARGS...     any ape command with the project's environment (e.g. `ape compile`)
#   ./svs.sh env             print the environment lines, for `eval "$(./svs.sh env)"`
#
# Installs are idempotent: each is redone only when its lock file changed since the last run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
SLITHER_VENV="$ROOT/.venv-slither"
TOOLS="$ROOT/.tools/bin"
PYTHON="${PYTHON:-python3}"

log() { printf '[svs] %s\n' "$*" >&2; }
die() { printf '[svs] error: %s\n' "$*" >&2; exit 1; }

# Re-run an install step only when the files it depends on changed (stamp holds their hash).
stale() {
  local stamp="$1"; shift
  local want; want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]] && { echo "$want"; return 0; }
  return 1
}

need_python() {
  command -v "$PYTHON" >/dev/null || die "python3 (3.11) is needed; set PYTHON=/path/to/python3.11"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "Python 3.11 is needed (found $("$PYTHON" --version)); set PYTHON=/path/to/python3.11"
}

setup_python() {
  local want
  if want="$(stale "$VENV/.svs-stamp" requirements.lock pyproject.toml)"; then
    need_python
    log "installing Python packages into .venv (first run takes a few minutes)"
    [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.lock
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -e .
    echo "$want" > "$VENV/.svs-stamp"
  fi
}

# slither gets a venv of its own: its crytic-compile needs solc-select, whose `solc` shim would
# land on PATH in .venv/bin, and py-solc-x (ape's compiler driver) takes the `solc` on PATH as
# its default compiler. Nothing else of .venv is needed to analyse the contracts.
setup_slither() {
  local want
  if want="$(stale "$SLITHER_VENV/.svs-stamp" requirements-slither.lock)"; then
    need_python
    log "installing slither into .venv-slither"
    [[ -x "$SLITHER_VENV/bin/python" ]] || "$PYTHON" -m venv "$SLITHER_VENV"
    "$SLITHER_VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements-slither.lock
    echo "$want" > "$SLITHER_VENV/.svs-stamp"
  fi
}

setup_node() {
  local want
  if want="$(stale node_modules/.svs-stamp package.json package-lock.json)"; then
    command -v npm >/dev/null || die "npm (Node 20) is needed to install solc and anvil"
    log "installing solc, anvil and Solidity libraries into node_modules"
    # `npm install --no-save` rather than `npm ci`: the registry mirror here has only the
    # linux-amd64 build of @foundry-rs/anvil, so the lock cannot list the other platforms'
    # optional packages and `npm ci` rejects it; --no-save installs exactly the locked versions.
    npm install --no-save --no-audit --no-fund --loglevel=error >&2  # stdout belongs to `svs.sh env`
    echo "$want" > node_modules/.svs-stamp
  fi
  # ape-foundry runs `anvil` from PATH: link the real binary, not npm's node wrapper, so that
  # signals reach anvil itself and a killed parent never leaves an orphan behind.
  local platform
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-amd64 ;;
    Linux-aarch64) platform=linux-arm64 ;;
    Darwin-arm64) platform=darwin-arm64 ;;
    Darwin-x86_64) platform=darwin-amd64 ;;
    *) die "no anvil build for $(uname -s)-$(uname -m) in @foundry-rs/anvil" ;;
  esac
  local binary="$ROOT/node_modules/@foundry-rs/anvil-$platform/bin/anvil"
  [[ -x "$binary" ]] || die "anvil binary missing at $binary (npm ci did not install @foundry-rs/anvil-$platform)"
  mkdir -p "$TOOLS"
  ln -sf "$binary" "$TOOLS/anvil"
}

# ape recompiles only the files whose text changed, not the contracts that import them: a change
# to a library would leave stale bytecode behind. Recompile everything when any source changed.
compile_contracts() {
  local want
  if want="$(stale .build/.svs-stamp ape-config.yaml $(find contracts -name '*.sol' | sort))"; then
    log "contracts changed: compiling everything"
    ape compile --force >&2
    echo "$want" > .build/.svs-stamp
  fi
}

environment() {
  echo "export PATH=\"$TOOLS:$VENV/bin:$ROOT/node_modules/.bin:\$PATH\""
  echo "export SOLCX_BINARY_PATH=\"$ROOT/tools/solc\""
}

# The status page test renders the page in headless Chromium: Debian's package (no browser
# download at run time). Installed for the test suite only, with apt as root.
setup_browser() {
  command -v chromium >/dev/null && return 0
  command -v apt-get >/dev/null || die "chromium is needed by the tests (status page); install Debian's chromium package"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "installing Debian's chromium for the status page test"
  $sudo apt-get install -y -q chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q chromium >/dev/null; } \
    || die "could not install chromium with apt-get; install Debian's chromium package"
}

setup() {
  setup_node
  setup_python
  eval "$(environment)"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  run) setup; compile_contracts; exec ape run sequencer local "$@" ;;
  test) setup; setup_browser; compile_contracts; exec ape test "$@" ;;
  mutate) setup; compile_contracts; exec python tools/mutate.py "$@" ;;
  slither) setup_node; setup_slither; exec "$SLITHER_VENV/bin/python" tools/static_analysis.py "$@" ;;
  setup) setup; setup_slither; log "ready: $(ape --version 2>/dev/null | tail -n1), $(anvil --version | head -n1)" ;;
  ape) setup; exec ape "$@" ;;
  env) setup; environment ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; [[ -z "$cmd" || "$cmd" == help || "$cmd" == -h || "$cmd" == --help ]] || exit 2 ;;
esac
