#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs through apt-get, idempotently. The base
# kernel package is installed at the version pinned in BASE; if that version
# is gone from the archive, the installable one is used with a loud warning.
. "$(dirname "$0")/lib.sh"
STAGE=deps

PKGS=(
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync
	python3 python3-ply python3-git xz-utils perl git
	gcc-s390x-linux-gnu libc6-dev-s390x-cross
	qemu-system-x86 qemu-system-misc
	busybox-static sparse coccinelle ccache
)

installed_version() {
	dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "installed" { print $2 }'
}

missing=()
for p in "${PKGS[@]}"; do
	[ -n "$(installed_version "$p")" ] || missing+=("$p")
done
have_base=$(installed_version "$PACKAGE")

if [ ${#missing[@]} -eq 0 ] && [ "$have_base" = "$VERSION" ]; then
	log "all packages present ($PACKAGE $VERSION)"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]} ${PACKAGE}=${VERSION}) and not root: run as root or install them"
command -v apt-get >/dev/null || die "apt-get is not available: install ${missing[*]} $PACKAGE by hand"

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -q --no-install-recommends "$@" >>"$LOGS/apt.log" 2>&1; }

log "apt-get update"
apt-get update -q >>"$LOGS/apt.log" 2>&1 || die "apt-get update failed, see $LOGS/apt.log"

if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt_install "${missing[@]}" || die "apt-get install ${missing[*]} failed, see $LOGS/apt.log"
fi

if [ "$have_base" != "$VERSION" ]; then
	log "installing $PACKAGE=$VERSION"
	if ! apt_install --allow-downgrades "$PACKAGE=$VERSION"; then
		apt_install "$PACKAGE" || die "cannot install $PACKAGE at all, see $LOGS/apt.log"
		warn_loud "$PACKAGE $VERSION (pinned in BASE) is not installable;" \
			"using $(installed_version "$PACKAGE") instead. The series must still apply" \
			"with no fuzz and no rejects; update BASE once it does."
	fi
fi
log "packages ready"
