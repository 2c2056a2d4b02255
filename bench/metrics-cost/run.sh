#!/usr/bin/env bash
# The metrics-cost scenario: Switchyard with metrics on and off, alternating, in one run; prints
# the ratio table (also in bench/results/metrics-cost/report.md). Options are bench/run's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/bench/run" metrics-cost "$@"
sed -n '/^## Metrics cost/,/^Median/p' "$root/bench/results/metrics-cost/report.md"
