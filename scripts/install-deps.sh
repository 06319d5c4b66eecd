#!/bin/sh
# Installs the Debian 12 packages tasksrun needs to build, test and benchmark.
# Only packages that are missing are installed, so a prepared machine runs this in
# well under a second. Needs root (or sudo) when something is missing.
set -eu

build_deps="build-essential cmake pkg-config
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libsystemd-dev libhowardhinnant-date-dev
  nlohmann-json3-dev libsqlite3-dev libpq-dev catch2 tzdata ca-certificates libmicrohttpd-dev"
# End-to-end tests: unshare runs the daemon as PID 1; systemd-analyze checks the units;
# dpkg-dev and file let CPack build the package (make package) that the tests install;
# /metrics is read with Prometheus' own parser (and linted by promtool, which also tests the
# example alert rules), and the status page is loaded in headless Chromium;
# postgresql-15 is the server the cluster tests start themselves (initdb + pg_ctl in a temporary
# directory, as the postgres user through util-linux's runuser when run as root); faketime
# (libfaketime) gives one cluster replica a wall clock seconds off.
test_deps="python3 procps util-linux systemd dpkg-dev file python3-prometheus-client prometheus
  chromium postgresql-15 faketime"
# Benchmark peers (make bench), installed with the rest so that figures are reproducible.
bench_deps="python3-discord nginx"
# make fuzz: libFuzzer and the sanitizer runtimes of clang 16, Debian 12's first clang that
# compiles <expected> (make test-sanitize uses g++'s own libasan and libubsan).
fuzz_deps="clang-16 libclang-rt-16-dev"

missing=""
for pkg in $build_deps $test_deps $bench_deps $fuzz_deps; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $pkg"
    fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
$sudo_cmd apt-get install -y -qq --no-install-recommends $missing
