#!/usr/bin/env bash
# t_manuals.sh — the three manuals (man/provfs.1, man/provctl.1, man/provfs-inventory.5) render
# with man(1) and groff without a single warning, and name what the programs accept: every
# mount option of fs/main.c's option_spec in provfs(1), every subcommand and option provctl.c
# compares its arguments with in provctl(1). The lists come from the sources, not from this
# file. (That provfs-inventory(5) defines every key of the schema's table and every vendor model
# option is test_inventory's test_manual_names_every_key: the table is C.)

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_bin "man and groff" "$(command -v man)" "$(command -v groff)"

MANS=(man/provfs.1 man/provctl.1 man/provfs-inventory.5)

# renders_clean FILE — groff's own check (-ww: every warning) and man's, with nothing on stderr.
renders_clean() {
	local err
	err=$(groff -ww -z -man -- "$REPO_ROOT/$1" 2>&1) || {
		echo "groff failed: $err"
		return 1
	}
	[ -z "$err" ] || {
		echo "groff: $err"
		return 1
	}
	err=$(MANWIDTH=80 man --warnings -E UTF-8 -l -- "$REPO_ROOT/$1" 2>&1 >/dev/null) || {
		echo "man failed: $err"
		return 1
	}
	[ -z "$err" ] || {
		echo "man: $err"
		return 1
	}
}

# The page as a reader sees it: plain text, no hyphenation, no line breaks inside words.
render() {
	MANWIDTH=200 man -E UTF-8 -l -- "$REPO_ROOT/$1" 2>/dev/null | col -b | sed 's/‐/-/g'
}

# names_all TEXTFILE WORD... — every WORD appears in the rendered page.
names_all() {
	local text=$1 w missing=()
	shift
	for w in "$@"; do
		grep -qF -- "$w" "$text" || missing+=("$w")
	done
	[ ${#missing[@]} -eq 0 ] || {
		echo "not in the manual: ${missing[*]}"
		return 1
	}
}

for m in "${MANS[@]}"; do
	t_check "$m renders without warnings (groff -ww, man --warnings)" renders_clean "$m"
done

# provfs(1): the strings option_spec gives fuse_opt_parse ("state=%s" -> "state=", "nowatch",
# FUSE_OPT_KEY("-h", ...) -> "-h").
mapfile -t FS_OPTS < <(sed -n '/option_spec\[\] = {/,/FUSE_OPT_END/p' "$REPO_ROOT/fs/main.c" |
	grep -oE '"[^"]+"' | tr -d '"' | sed 's/%s$//')
render man/provfs.1 >"$WORK/provfs.txt"
t_check "fs/main.c's option_spec was read (${#FS_OPTS[@]} options)" test "${#FS_OPTS[@]}" -ge 8
t_check "provfs(1) names every option of option_spec" names_all "$WORK/provfs.txt" "${FS_OPTS[@]}"
t_check "provfs(1) documents SIGHUP, exit status, an fstab line and a systemd unit" \
	names_all "$WORK/provfs.txt" SIGHUP "EXIT STATUS" fuse.provfs ExecStart= ExecReload=

# provctl(1): the commands run_command compares cmd with, the options parse_args and main know.
mapfile -t CTL_WORDS < <(grep -oE 'strcmp\((cmd|argv\[i\]), "[^"]+"\)' "$REPO_ROOT/provctl/provctl.c" |
	grep -oE '"[^"]+"' | tr -d '"' | sort -u)
render man/provctl.1 >"$WORK/provctl.txt"
t_check "provctl.c's commands and options were read (${#CTL_WORDS[@]})" test "${#CTL_WORDS[@]}" -ge 10
t_check "provctl(1) names every command and option of provctl.c" \
	names_all "$WORK/provctl.txt" "${CTL_WORDS[@]}"
t_check "provctl(1) gives each exit status provctl.c uses (0, 1, 2)" \
	grep -qzE 'EXIT STATUS.*\b0\b.*\b1\b.*\b2\b' "$WORK/provctl.txt"

# Each command (a word of provctl.c's that is not an option, nor "help") has its entry under
# COMMANDS, not just a mention in the synopsis.
commands_described() {
	local c missing=() n=0
	for c in "${CTL_WORDS[@]}"; do
		[[ $c == -* || $c == help ]] && continue
		n=$((n + 1))
		grep -qE "^ {7}$c( |$)" "$WORK/provctl.txt" || missing+=("$c")
	done
	[ "$n" -ge 6 ] || {
		echo "only $n commands read from provctl.c"
		return 1
	}
	[ ${#missing[@]} -eq 0 ] || {
		echo "no entry under COMMANDS: ${missing[*]}"
		return 1
	}
}
t_check "provctl(1) has an entry for each command" commands_described

t_summary
