#!/bin/sh
# Cross-build the release archives, reproducibly: scripts/release.sh VERSION OUTDIR
#
# Each archive casenode-VERSION-OS-ARCH.tar.gz holds the static binary (built
# with -trimpath, no build id, the version stamped), the manual page, the
# shell completions, the systemd units and the README; OUTDIR/SHA256SUMS
# lists their SHA-256. Two runs on the same commit with the same Go give
# the same bytes ('make release-check' proves it): file times come from
# the commit (SOURCE_DATE_EPOCH), owners and modes are fixed, gzip keeps no
# name or time.
set -eu

version=${1:?usage: scripts/release.sh VERSION OUTDIR}
out=${2:?usage: scripts/release.sh VERSION OUTDIR}
: "${GO:=go}"
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
targets=${TARGETS:-linux/amd64 linux/arm64 windows/amd64 darwin/arm64}

export CGO_ENABLED=0
ldflags="-s -w -buildid= -X main.version=$version"

rm -rf "$out"
mkdir -p "$out/.host"
# The manual and the completions come from the binary's own definitions.
"$GO" build -trimpath -ldflags "$ldflags" -o "$out/.host/casenode" ./cmd/casenode
host="$out/.host/casenode"

for target in $targets; do
	os=${target%/*}
	arch=${target#*/}
	name="casenode-$version-$os-$arch"
	dir="$out/$name"
	exe=casenode
	[ "$os" = windows ] && exe=casenode.exe
	mkdir -p "$dir/completion" "$dir/systemd"
	GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "$ldflags" -o "$dir/$exe" ./cmd/casenode
	"$host" man >"$dir/casenode.1"
	"$host" completion bash >"$dir/completion/casenode.bash"
	"$host" completion zsh >"$dir/completion/_casenode"
	"$host" completion fish >"$dir/completion/casenode.fish"
	cp scripts/systemd/casenode-hub.service scripts/systemd/casenode-node@.service scripts/systemd/casenode.sysusers "$dir/systemd/"
	cp README.md "$dir/"
	find "$dir" -type d -exec chmod 0755 {} +
	find "$dir" -type f -exec chmod 0644 {} +
	chmod 0755 "$dir/$exe"
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
		-C "$out" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
	rm -rf "$dir"
done
rm -rf "$out/.host"
(cd "$out" && sha256sum ./*.tar.gz | sed 's# \./# #' >SHA256SUMS)
cat "$out/SHA256SUMS"
