#!/usr/bin/env bash
# Installs what Switchyard needs to build, run and test, from Debian's packages and npm only.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-14 libclang-rt-14-dev
  libboost1.81-dev libcaf-dev catch2 prometheus-cpp-dev rapidjson-dev libyaml-cpp-dev
  libssl-dev libhiredis-dev libpq-dev libsqlite3-dev libbenchmark-dev
  nginx-light wrk hyperfine ca-certificates nodejs npm
  prometheus
  redis-server redis-tools postgresql
)
# `prometheus` brings prometheus and promtool for the observability tests, which run their own
# instance on a free loopback port with a temp config and storage: the system service the package
# may start on :9090 is neither used nor in the way. The same holds for `redis-server` and
# `postgresql` (with `redis-tools` for redis-cli; `postgresql` brings psql through its server's
# dependency on postgresql-client-NN, Debian's versioned client): the cluster
# tests (tests/cluster) start private instances in temp dirs on free ports, never the services.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian's packages (a newer Node.js); accept any working one.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# JavaScript clients for the end-to-end tests (the official SDKs, exactly as users run them).
if [ "${1:-}" = "--with-e2e" ] && [ -f tests/e2e/package.json ]; then
  if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
    echo "install-deps: npm ci in tests/e2e"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
