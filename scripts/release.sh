#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# release.sh [OUTDIR]: write OUTDIR/virtio-forwarder-<VERSION>.tar.gz (default build/release)
# with exactly what a release ships, and its SHA-256 beside it (.sha256, sha256sum's format).
#
# What ships: in a git checkout (with git installed) the files git tracks or would track;
# in an unpacked release the files its MANIFEST lists; elsewhere every file but what
# .gitignore names. The tarball also holds debian/ (a copy of packaging/debian), so that
# dpkg-buildpackage and dpkg-source work in the unpacked tree, and MANIFEST. Its entries are
# sorted, owned by root and dated by the Debian changelog: the same tree gives the same bytes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build/release}" && cd "${1:-$root/build/release}" && pwd)
version=$(head -n1 "$root/VERSION")
name=virtio-forwarder-$version
work=$(mktemp -d /tmp/vfwd-release-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The shipped files, one relative path a line.
list_files() {
	if [ -e "$root/.git" ] && command -v git >/dev/null; then # a checkout or a worktree
		git -C "$root" ls-files --cached --others --exclude-standard
	elif [ -f "$root/MANIFEST" ]; then
		grep -v '^debian/' "$root/MANIFEST" | grep -vx MANIFEST
	else
		# no git: .gitignore's patterns (anchored directories and file globs) by hand
		local prune=(-name .git)
		while read -r pat; do
			case "$pat" in
			'' | '#'*) ;;
			/*/) prune+=(-o -path "./${pat:1:-1}") ;;
			*/) prune+=(-o -name "${pat%/}") ;;
			*) prune+=(-o -name "$pat") ;;
			esac
		done <"$root/.gitignore"
		(cd "$root" && find . \( "${prune[@]}" \) -prune -o \( -type f -o -type l \) -print |
			sed 's|^\./||')
	fi
}

mkdir -p "$work/$name"
list_files | LC_ALL=C sort -u | while read -r f; do
	[ -e "$root/$f" ] || [ -L "$root/$f" ] || continue # deleted in the work tree
	echo "$f"
done >"$work/files"
(cd "$root" && tar -cf - -T "$work/files") | tar -xf - -C "$work/$name"
rm -rf "$work/$name/debian"
cp -r "$root/packaging/debian" "$work/$name/debian"
(cd "$work/$name" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort) >"$work/manifest"
mv "$work/manifest" "$work/$name/MANIFEST"

# The date of the newest changelog entry, for reproducible archives.
stamp=$(sed -n 's/^ -- .*>  //p' "$root/packaging/debian/changelog" | head -n1)
epoch=$(date -d "$stamp" +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
	-C "$work" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "release.sh: $(wc -l <"$work/$name/MANIFEST") files, sha256 $(cut -d' ' -f1 "$out/$name.tar.gz.sha256")" >&2
echo "$out/$name.tar.gz"
