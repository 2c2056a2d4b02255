#!/usr/bin/env bash
# `make bench-overhead`: the overhead scenario (direct vs nginx vs Switchyard vs Portkey on the
# same mock, in one run), now run by the benchmark runner. The report and plots go to
# bench/results/overhead/. Options are bench/run's, e.g. --systems direct,switchyard.
exec "$(dirname "$0")/../run" overhead "$@"
