#!/usr/bin/env bash
# citations.sh [ROOT] — every design-note citation in the tree resolves to docs/.
#
# Comments, tests, configurations and the README cite the design notes by name and section:
# "SPEC §3", "SPEC.md §2", "FUSE.md §2.8, §4.1", "formats/cisco.md section 1.3",
# "formats/grandstream.md §1.2-§1.5". By the convention of docs/README.md these name
# docs/SPEC.md, docs/FUSE.md and docs/formats/*.md. A citation resolves when that file exists
# and every section number cited exists as a heading in it ("## 3. Title", "### 1.3 Title";
# headings inside ``` fences do not count). Every "§N" and "section N" after a note's name, up
# to the next note's name on the same line, counts as a section of that note. A line that
# sends a note to ../shared fails too: only the test vectors live there (../shared/vectors).
#
# ROOT (default: the repository this script is in) is scanned through `git ls-files` when it
# is a git work tree, else every regular file below it. Prints one line per unresolved
# citation (FILE:LINE: what) and a last line "citations: N checked, N unresolved"; exit status
# 0 when all resolve, 1 otherwise, 2 on a usage error.

set -u
export LC_ALL=C

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
[ -d "$root" ] || {
	echo "usage: $0 [ROOT]" >&2
	exit 2
}
cd "$root" || exit 2

# What names a note. SPEC stands alone as a word; the other names are file names.
NOTE_RE='(docs/)?(\bSPEC\b(\.md)?|\bFUSE\.md|\bANCHORS\.md|\bformats/[A-Za-z0-9_-]+\.md)'
SECT_RE='(§ ?|section )[0-9]+(\.[0-9]+)*'

files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z
	else
		find . -type f ! -path './.git/*' -printf '%P\0'
	fi
}

# note_file NAME — the docs/ file a note's name stands for.
note_file() {
	local n=${1#docs/}
	case $n in
	SPEC | SPEC.md) echo docs/SPEC.md ;;
	*) echo "docs/$n" ;;
	esac
}

# headings FILE — the section numbers of FILE's headings, one a line, outside code fences.
headings() {
	awk '/^[ \t]*```/ { fence = !fence; next }
	     !fence && /^#+[ \t]+[0-9]+(\.[0-9]+)*([. \t]|$)/ {
		s = $2; sub(/\.$/, "", s); print s
	     }' "$1"
}

checked=0
bad=0
declare -A have # "docs/X.md" -> newline-separated section numbers, or "-" if missing

# known FILE SECTION — 0 if FILE (under docs/) exists and has SECTION (empty: the file only).
known() {
	local f=$1 s=$2
	if [ -z "${have[$f]+x}" ]; then
		if [ -f "$f" ]; then
			have[$f]=$'\n'"$(headings "$f")"$'\n'
		else
			have[$f]=-
		fi
	fi
	[ "${have[$f]}" != - ] || return 1
	[ -z "$s" ] || [[ ${have[$f]} == *$'\n'"$s"$'\n'* ]]
}

report() { # report FILE:LINE MESSAGE
	bad=$((bad + 1))
	printf '%s: %s\n' "$1" "$2"
}

while IFS= read -r -d '' path; do
	[ -f "$path" ] || continue
	# grep -I skips binary files; -n gives LINE:TEXT.
	while IFS= read -r hit; do
		lineno=${hit%%:*}
		text=${hit#*:}
		where="$path:$lineno"
		if [[ $text =~ \.\./shared ]] && ! [[ $text =~ \.\./shared/vectors ]]; then
			report "$where" "a design note sent to ../shared (the notes are in docs/): $text"
		fi
		note=
		while IFS= read -r tok; do
			if [[ $tok =~ ^(§|section) ]]; then
				[ -n "$note" ] || continue
				sect=${tok#§}
				sect=${sect#section }
				sect=${sect# }
				# A missing file is reported once, at its name.
				[ "${have[$file]}" != - ] || continue
				checked=$((checked + 1))
				known "$file" "$sect" ||
					report "$where" "$note §$sect: $file has no heading numbered $sect"
			else
				note=$tok
				file=$(note_file "$note")
				checked=$((checked + 1))
				known "$file" "" || report "$where" "$note: $file does not exist"
			fi
		done < <(grep -oE -- "$NOTE_RE|$SECT_RE" <<<"$text")
	done < <(grep -InE -- "$NOTE_RE" "$path" 2>/dev/null)
done < <(files)

echo "citations: $checked checked, $bad unresolved"
[ "$bad" -eq 0 ]
