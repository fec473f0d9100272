#!/usr/bin/env bash
# Regenerates tests/Onyx.Tests/Conformance/expected-pass-<provider>.txt from a fresh conformance run.
# Usage: tools/update-expected-pass.sh [cpu|openvino]
set -euo pipefail
cd "$(dirname "$0")/.."
provider=${1:-cpu}
ep_args=()
[ "$provider" = "openvino" ] && ep_args=(--ep OpenVINO)
out=tests/Onyx.Tests/Conformance/expected-pass-$provider.txt
{
  echo "# Conformance tests the $provider provider must pass (folder/test). Regenerate with tools/update-expected-pass.sh $provider"
  for folder in node simple pytorch-converted pytorch-operator; do
    dotnet run --project src/Onyx.Cli -c Release --no-build -- conformance "tests/data/onnx-backend/$folder" "${ep_args[@]}" \
      | awk -v f="$folder" '$1 == "PASS" { print f "/" $2 }' || true
  done
} > "$out"
echo "$(grep -vc '^#' "$out") tests listed in $out"
