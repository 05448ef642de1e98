#!/usr/bin/env bash
# Builds the xlb Debian package from the working tree: copies the tracked and
# new (not ignored) files to a scratch directory, runs dpkg-buildpackage
# there (so nothing is written beside the tree), checks it with lintian and
# leaves the .deb in $BUILD/deb/. Prints the path of the .deb last.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/deb
scratch=$(mktemp -d /tmp/xlb-deb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

version=$(dpkg-parsechangelog -l debian/changelog -SVersion)
src=$scratch/xlb-$version
mkdir -p "$src"
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src" 2>/dev/null ||
	{ echo "deb: copying the tree failed" >&2; exit 1; }

echo "deb: building xlb $version in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$scratch/build.log" 2>&1 || {
	tail -40 "$scratch/build.log" >&2
	echo "deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
deb=$(ls "$scratch"/xlb_"$version"_*.deb)
mkdir -p "$out"
cp "$deb" "$out/"
deb=$out/$(basename "$deb")

# Errors fail the build; warnings are shown.
lintian_out=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "running with root privileges" || true)
[[ -n $lintian_out ]] && echo "$lintian_out"
if grep -q '^E: ' <<<"$lintian_out"; then
	echo "deb: lintian reports errors" >&2
	exit 1
fi
echo "$deb"
