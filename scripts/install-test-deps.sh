#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: Debian packages, the real
# Mesos harness (tests/realmesos, built into ~/.cache/realmesos) and the Python test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if command -v apt-get >/dev/null; then
  apt-get update -qq
  # zookeeper: the real ZooKeeper for zk:// detection tests; openssl: test certificates for https.
  apt-get install -y -qq --no-install-recommends curl ca-certificates g++ zookeeper openssl >/dev/null
fi
SKIP_APT=${SKIP_APT:-0} bash tests/realmesos/setup.sh
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
