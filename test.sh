#!/usr/bin/env bash
# Runs every test of the solution (unit, conformance, models, providers) in Release.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Onyx.sln -c Release --logger "console;verbosity=minimal" "$@"
