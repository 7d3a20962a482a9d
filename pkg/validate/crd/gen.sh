#!/bin/sh
# Copies the Gateway API CustomResourceDefinitions that synctl validates against
# from the sigs.k8s.io/gateway-api module named in go.mod (run by go generate).
# The files are the module's own data, unchanged; rerun after upgrading it.
set -eu
dir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
for kind in gatewayclasses gateways httproutes referencegrants; do
	src="$dir/config/crd/standard/gateway.networking.k8s.io_$kind.yaml"
	install -m 0644 "$src" "crds/gateway.networking.k8s.io_$kind.yaml"
done
go list -m -f '{{.Path}} {{.Version}}' sigs.k8s.io/gateway-api > crds/VERSION
