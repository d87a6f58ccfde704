#!/usr/bin/env bash
# t_citations.sh — the design notes that comments, tests and configurations cite are in docs/
# and every citation resolves (issue 13 point 3): tests/lint/citations.sh on the repository, and
# the same script on small trees made here, each with one citation broken in one way, to show
# that it notices every kind of break (a missing note, a missing section, the second number of
# a list, the end of a range, a number found only inside a code fence, a note sent to
# ../shared) in every kind of file it must read. No mount and no server: it only reads files.
#
# The broken citations are built from pieces ($S, $F) so that this file itself cites nothing
# that does not exist: the scan of the repository reads it too.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CITE=$REPO_ROOT/tests/lint/citations.sh
S='§'
F=formats

# cite_repo — the scan of the repository, its output shown and kept in WORK/repo.out.
cite_repo() {
	bash "$CITE" "$REPO_ROOT" | tee "$WORK/repo.out"
	return "${PIPESTATUS[0]}"
}

# ---- the repository ----
t_check "every design-note citation in the repository resolves to docs/" cite_repo

# The scan must have read the citations at all: it checks at least one section per line that
# names a note and a section number (counted here independently, with git grep).
lines=$(git -C "$REPO_ROOT" grep -hE "(SPEC|FUSE\\.md|$F/[a-z]+\\.md) ($S|section )[0-9]" | wc -l)
checked=$(sed -n 's/^citations: \([0-9]*\) checked.*/\1/p' "$WORK/repo.out")
t_check "the scan checked at least as many citations ($checked) as lines cite a section ($lines)" \
	test "${checked:-0}" -ge "$lines" -a "$lines" -gt 0

for note in SPEC.md FUSE.md README.md; do
	t_check "docs/$note is in the repository" git -C "$REPO_ROOT" ls-files --error-unmatch "docs/$note"
done

# ---- small trees: the notes ----
FIX=$WORK/fixture
mkdir -p "$FIX/docs/$F"
cat >"$FIX/docs/SPEC.md" <<EOF
# contract
## 1. Programs
### 1.2 Options
\`\`\`sh
## 3. a comment in a code block, not a heading
\`\`\`
## 4. Behaviour
EOF
printf '# notes\n## 2. Caching\n### 2.8 Servers\n' >"$FIX/docs/FUSE.md"
printf '# vendor\n## 1. Names\n### 1.3 Macros\n## 2 Format\n' >"$FIX/docs/$F/x.md"

# Every correct form, in every kind of file scanned.
printf '/* SPEC %s1, SPEC.md %s1.2, docs/SPEC.md %s4 "Behaviour" */\n' "$S" "$S" "$S" >"$FIX/a.c"
printf '# FUSE.md %s2.8, %s2 and %s/x.md section 1.3\n' "$S" "$S" "$F" >"$FIX/a.sh"
printf '(%s/x.md %s1-%s1.3, %s2)\n' "$F" "$S" "$S" "$S" >"$FIX/a.md"
printf '# see SPEC (no section), vectors in ../shared/vectors\n# SPECIFIC %s9, SPEC_X %s9\n' \
	"$S" "$S" >"$FIX/a.conf"
t_check "a tree whose citations all exist passes" to_file "$WORK/fixture.out" bash "$CITE" "$FIX"
# 3 names and 3 sections in a.c, 2 and 3 in a.sh, 1 and 3 in a.md, 1 in a.conf (SPECIFIC and
# SPEC_X are no note's name).
t_check "... and every one of its citations was checked (16)" \
	grep -qx 'citations: 16 checked, 0 unresolved' "$WORK/fixture.out"

# broken NAME FILE TEXT EXPECTED — a copy of the fixture with TEXT added to FILE fails, naming
# EXPECTED and the file and line.
n=0
broken() {
	local name=$1 file=$2 text=$3 expected=$4 dir
	n=$((n + 1))
	dir=$WORK/broken$n
	cp -a "$FIX" "$dir"
	printf 'ok line\n%s\n' "$text" >>"$dir/$file"
	t_check_fails "$name" "$file:$(wc -l <"$dir/$file"): $expected" bash "$CITE" "$dir"
}

broken "a section that does not exist (C comment)" a.c "/* SPEC ${S}9 */" \
	"SPEC ${S}9: docs/SPEC.md has no heading numbered 9"
broken "a number only in a code fence is no section" a.c " * (SPEC ${S}3)" \
	"SPEC ${S}3: docs/SPEC.md has no heading numbered 3"
broken "the second number of a list (shell comment)" a.sh "# FUSE.md ${S}2, ${S}4.1" \
	"FUSE.md ${S}4.1: docs/FUSE.md has no heading numbered 4.1"
broken "the end of a range" a.md "$F/x.md ${S}1-${S}1.9" \
	"$F/x.md ${S}1.9: docs/$F/x.md has no heading numbered 1.9"
broken "the 'section N' form" a.conf "# $F/x.md section 1.4" \
	"$F/x.md ${S}1.4: docs/$F/x.md has no heading numbered 1.4"
broken "a note that is not in docs/" a.c "/* $F/nope.md */" \
	"$F/nope.md: docs/$F/nope.md does not exist"
broken "a note that is not in docs/ (Makefile)" Makefile "# ANCH""ORS.md" \
	"ANCH""ORS.md: docs/ANCH""ORS.md does not exist"
broken "a note sent to ../shared" a.md "($F/x.md in ../shared)" \
	"a design note sent to ../shared"

# The repository with one citation broken: the scan reads the tracked files themselves.
REPO_COPY=$WORK/repo
mkdir -p "$REPO_COPY"
(cd "$REPO_ROOT" && git ls-files -z | xargs -0 tar -cf -) | tar -xf - -C "$REPO_COPY"
sed -i "1s|\$| (SPEC ${S}99)|" "$REPO_COPY/fs/ops.c"
t_check_fails "a broken citation in a copy of the repository's fs/ops.c" \
	"fs/ops.c:1: SPEC ${S}99: docs/SPEC.md has no heading numbered 99" bash "$CITE" "$REPO_COPY"

t_summary
