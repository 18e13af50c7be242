#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The licence (issue 17): the Apache License 2.0 at the top of the tree,
# an SPDX identifier in every source file, debian/copyright to match.
. "$SRCDIR/tests/tools/tap.sh"
cd "$SRCDIR" || exit 2

like "$(head -n 3 LICENSE)" "Apache License" "LICENSE is the Apache License"
like "$(cat LICENSE)" "Version 2.0, January 2004" "version 2.0"
missing=$(git ls-files 'src/*.c' 'include/*.h' 'tests/*.c' 'tests/*.h' \
    'tests/*.sh' 'tests/*.py' Makefile debian/rules 2>/dev/null |
    grep -v '^tests/data/' | while read -r f; do
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' ||
	    echo "$f"
done)
is "$missing" "" "every source file names its licence (SPDX)"
n=$(git ls-files 'src/*.c' 'include/*.h' | wc -l)
ok "$([ "$n" -gt 50 ]; echo $?)" "($n C files looked at)"
like "$(cat debian/copyright)" "License: Apache-2.0" "debian/copyright says Apache-2.0"
unlike "$(cat debian/copyright)" "License: other" "and no longer 'other'"
like "$(cat debian/copyright)" "/usr/share/common-licenses/Apache-2.0" \
    "pointing to Debian's copy of the text"
done_testing
