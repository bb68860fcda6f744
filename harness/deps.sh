#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs through apt-get, idempotently. The base
# kernel package is installed at the version pinned in BASE; if that version
# is not installable the stage fails, unless PATCHQ_OTHER_BASE=1 allows the
# installable one (then the summary names the base that was used).
. "$(dirname "$0")/lib.sh"
stage_begin deps

PKGS=(
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod rsync
	python3 python3-ply python3-git xz-utils perl git
	gcc-s390x-linux-gnu libc6-dev-s390x-cross
	qemu-system-x86 qemu-system-misc
	busybox-static sparse coccinelle ocaml-nox ocaml-findlib ccache
)

# The s390x guest's busybox: Debian's busybox-static for s390x, unpacked
# into $S390_BUSYBOX's directory, not installed (it would replace the host's).
s390_busybox() {
	[ -x "$S390_BUSYBOX" ] && return 0
	[ "$(id -u)" = 0 ] || die "no s390x busybox at $S390_BUSYBOX and not root"
	if ! dpkg --print-foreign-architectures | grep -qx s390x; then
		log "adding the s390x architecture to dpkg, for busybox-static:s390x"
		dpkg --add-architecture s390x || die "dpkg --add-architecture s390x failed"
		apt-get update -q >>"$LOGS/apt.log" 2>&1 || die "apt-get update failed, see $LOGS/apt.log"
	fi
	local tmp
	tmp=$(mktemp -d)
	log "fetching busybox-static:s390x"
	(cd "$tmp" && apt-get download -q busybox-static:s390x) >>"$LOGS/apt.log" 2>&1 ||
		{ rm -rf "$tmp"; die "apt-get download busybox-static:s390x failed, see $LOGS/apt.log"; }
	dpkg-deb -x "$tmp"/busybox-static_*_s390x.deb "$tmp/root" &&
		mkdir -p "$(dirname "$S390_BUSYBOX")" &&
		cp "$tmp/root/bin/busybox" "$S390_BUSYBOX" ||
		{ rm -rf "$tmp"; die "cannot unpack busybox-static:s390x"; }
	rm -rf "$tmp"
	# ELF e_machine, big endian: EM_S390
	[ "$(od -An -tx1 -j18 -N2 "$S390_BUSYBOX" | tr -d ' ')" = 0016 ] ||
		die "$S390_BUSYBOX is not an s390x binary"
}

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
	s390_busybox
	record deps pass packages "all present ($PACKAGE $VERSION, ${#PKGS[@]} others, s390x busybox)"
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
		[ "${PATCHQ_OTHER_BASE:-}" = 1 ] ||
			die "$PACKAGE=$VERSION (pinned in BASE) is not installable, see $LOGS/apt.log;" \
				"PATCHQ_OTHER_BASE=1 runs on the installable version instead"
		apt_install "$PACKAGE" || die "cannot install $PACKAGE at all, see $LOGS/apt.log"
		warn_loud "$PACKAGE $VERSION (pinned in BASE) is not installable;" \
			"using $(installed_version "$PACKAGE") instead (PATCHQ_OTHER_BASE=1)."
	fi
fi
s390_busybox
record deps pass packages "installed ${missing[*]:-nothing new}; $PACKAGE $(installed_version "$PACKAGE"), s390x busybox"
