#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# CHECK= for the bisect builds: sparse on the files the series touches
# (listed one per line in $PATCHQ_TOUCHED, relative to $PATCHQ_SRCTREE),
# nothing on the others. kbuild passes the source file last.
src=${!#}
src=$(realpath -m "$src")
rel=${src#"$(realpath -m "$PATCHQ_SRCTREE")"/}
grep -qxF -- "$rel" "$PATCHQ_TOUCHED" || exit 0
exec sparse "$@"
