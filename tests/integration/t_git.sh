#!/usr/bin/env bash
# t_git.sh — the inventory from git (issue 14, point 3; README "Replicas: the inventory from
# git"): a repository with contrib/git-hooks/pre-receive, replicas that follow it with
# contrib/provfs-git-sync, and provfs mounted on each replica's DIR/current. What must hold:
# - a good push reaches the mount of every replica (provfs notices the switched symlink itself),
#   and two replicas serve the same bytes;
# - a push that fails `provctl check` is refused by the hook, with FILE:LINE:COL relative to the
#   repository;
# - a bad commit that reaches the repository anyway (hook missing) is refused by the sync: the
#   replica keeps serving the last good commit, and nothing of the bad one stays on disk;
# - a rewritten history is refused unless -f; only two releases stay on disk;
# - a commit with a symbolic link (it may point at any file of the server) is refused by the hook
#   and the sync, and nothing of the file it points to is read or quoted;
# - a REPOSITORY corrected after a failed first run is the one fetched (not the first URL);
# - a DIR/current that is a real directory is refused before any work, and left alone;
# - the password of a https://user:password@ REPOSITORY is in no message;
# - the hook lets a tag (never served) and a branch deletion through.
#
# Contract: SPEC.md §4 (a bad edit never reaches a phone).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_require_root
lib_require_bin "provfs and provctl are built" "$PROVFS" "$PROVCTL"
command -v git >/dev/null || {
	t_fail "git is installed" "no git on PATH"
	t_summary
	exit 1
}

SYNC=$REPO_ROOT/contrib/provfs-git-sync
HOOK=$REPO_ROOT/contrib/git-hooks/pre-receive
BASIC=$REPO_ROOT/tests/data/basic.yaml
KEPT=cfgc074ad0a0b0c.xml # its line's user: 2001 in basic.yaml, changed by each commit below
ORIGIN=$WORK/origin.git
CLONE=$WORK/clone
export PROVCTL # the hook and the sync run this provctl
export GIT_AUTHOR_NAME=admin GIT_AUTHOR_EMAIL=admin@example.com
export GIT_COMMITTER_NAME=admin GIT_COMMITTER_EMAIL=admin@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK # no site or user git configuration

# commit_user USER — the clone's inventory.yaml with that line user, committed.
commit_user() {
	sed -e "s/user: \"2001\"/user: \"$1\"/" "$BASIC" >"$CLONE/inventory.yaml" &&
		git -C "$CLONE" commit --quiet -am "user $1"
}

# shellcheck disable=SC2120 # t_check passes --force
push() { git -C "$CLONE" push --quiet ${1:+"$@"} origin main 2>&1; }

sync_replica() { # sync_replica DIR [OPTION] — provfs-git-sync, its output in $WORK/sync.out
	bash "$SYNC" ${2:+"$2"} -b main "$ORIGIN" "$1" >"$WORK/sync.out" 2>&1
}

serves_user() { grep -qF "<P35>$2</P35>" "$1/$KEPT"; }

head_of() { git --git-dir="$ORIGIN" rev-parse main; }

current_of() { basename -- "$(readlink -- "$1/current")"; }

out_has() { grep -qF -- "$1" "$WORK/sync.out"; }

# --- a repository with the hook, and a first commit ------------------------------------------
git init --quiet --bare -b main "$ORIGIN" && install -m 0755 "$HOOK" "$ORIGIN/hooks/pre-receive" &&
	git clone --quiet "$ORIGIN" "$CLONE" 2>/dev/null && git -C "$CLONE" checkout --quiet -b main &&
	cp -- "$BASIC" "$CLONE/inventory.yaml" && printf 'The phones of the site.\n' >"$CLONE/README.md" &&
	git -C "$CLONE" add . && git -C "$CLONE" commit --quiet -m "first" || exit 1
t_check "the first commit is pushed through the hook" push

t_check "provfs-git-sync: replica A takes it" sync_replica "$WORK/a"
t_check "it says which commit it serves" out_has "serving $(head_of) of main (was nothing)"
t_eq "A/current is that commit" "$(head_of)" "$(current_of "$WORK/a")"
t_check "replica B takes it" sync_replica "$WORK/b"
PROVFS_STATE=$WORK/state.a t_check "provfs mounts A/current" provfs_mount "$WORK/a/current" "$WORK/mnt.a" ||
	{
		t_summary
		exit 1
	}
PROVFS_STATE=$WORK/state.b t_check "provfs mounts B/current" provfs_mount "$WORK/b/current" "$WORK/mnt.b"
t_check "A serves user 2001" serves_user "$WORK/mnt.a" 2001

# --- a good commit reaches both ----------------------------------------------------------------
commit_user 2002 && t_check "a good commit is pushed" push
t_check "A syncs" sync_replica "$WORK/a"
t_check "B syncs" sync_replica "$WORK/b"
t_check "A serves user 2002 (provfs saw the switch by itself)" lib_poll 5 serves_user "$WORK/mnt.a" 2002
t_check "B serves user 2002" lib_poll 5 serves_user "$WORK/mnt.b" 2002
t_check "A and B serve the same bytes" cmp -- "$WORK/mnt.a/$KEPT" "$WORK/mnt.b/$KEPT"
t_check "a sync with nothing new succeeds" sync_replica "$WORK/a"
t_eq "and says nothing" "" "$(cat -- "$WORK/sync.out")"

# --- a bad push: the hook refuses it ---------------------------------------------------------
good=$(head_of)
commit_user '2003"' # an unbalanced quote: not YAML
t_check_fails "a push that fails provctl check is refused" "main: " push
out=$(push "")
t_check "the refusal says which branch and commit" \
	grep -qE "^remote: main: [0-9a-f]{40} does not pass provctl check:" <<<"$out"
t_check "and names inventory.yaml:LINE:COL, relative to the repository" \
	grep -qE '^remote: inventory\.yaml:[0-9]+:[0-9]+: ' <<<"$out"
t_eq "the repository's main is unchanged" "$good" "$(head_of)"

# --- the same bad commit with the hook gone: the sync refuses it ------------------------------
mv -- "$ORIGIN/hooks/pre-receive" "$WORK/hook.off"
t_check "without the hook the bad commit is pushed" push
bad=$(head_of)
t_check_fails "provfs-git-sync refuses it" "" sync_replica "$WORK/a"
t_eq "with exit status 1" 1 "$(sync_replica "$WORK/a"; echo $?)"
t_check "it says why" out_has "refusing $bad: provctl check fails; $good stays served"
t_check "with inventory.yaml:LINE:COL" grep -qE '^inventory\.yaml:[0-9]+:[0-9]+: ' "$WORK/sync.out"
t_eq "A/current is still the good commit" "$good" "$(current_of "$WORK/a")"
t_check "nothing of the bad commit is left in A/releases" test ! -e "$WORK/a/releases/$bad"
t_check "A still serves user 2002" serves_user "$WORK/mnt.a" 2002

# --- the fix goes through ---------------------------------------------------------------------
mv -- "$WORK/hook.off" "$ORIGIN/hooks/pre-receive"
commit_user 2004 && t_check "the fix is pushed through the hook" push
t_check "A syncs the fix" sync_replica "$WORK/a"
t_check "A serves user 2004" lib_poll 5 serves_user "$WORK/mnt.a" 2004
t_eq "A keeps two releases: the one served and the one before" 2 \
	"$(find "$WORK/a/releases" -mindepth 1 -maxdepth 1 -type d | wc -l)"

# --- history rewritten: refused unless -f -----------------------------------------------------
served=$(head_of)
git -C "$CLONE" reset --quiet --hard "$good" && commit_user 2005
t_check "a rewritten history is force-pushed" push --force
t_check_fails "provfs-git-sync refuses a branch that is not a descendant" "" sync_replica "$WORK/a"
t_check "it says so" out_has "not a descendant of $served"
t_check "A still serves user 2004" serves_user "$WORK/mnt.a" 2004
t_check "with -f it takes it" sync_replica "$WORK/a" -f
t_check "A serves user 2005" lib_poll 5 serves_user "$WORK/mnt.a" 2005

# --- a commit with a symlink out of the tree: nothing outside the commit is read ----------------
# The hook and the sync read the tree as their user (root on a replica): a link to a file of the
# server would have provctl check read it and quote its keys back to the pusher or the journal.
printf 'outside_only_key: 1\n' >"$WORK/outside.yaml"
ln -s -- "$WORK/outside.yaml" "$CLONE/z.yaml" && git -C "$CLONE" add z.yaml &&
	git -C "$CLONE" commit --quiet -m "a link out" || exit 1
out=$(push "")
t_check "the hook refuses a commit with a symbolic link" grep -qE "^remote: main: [0-9a-f]{40} holds a symbolic link: z\.yaml" <<<"$out"
t_check_fails "nothing of the linked file reaches the pusher" "" grep -qF outside_only_key <<<"$out"
mv -- "$ORIGIN/hooks/pre-receive" "$WORK/hook.off"
t_check "without the hook it is pushed" push
served=$(current_of "$WORK/a")
t_eq "provfs-git-sync refuses it (exit status 1)" 1 "$(sync_replica "$WORK/a"; echo $?)"
t_check "it names the link" out_has "holds a symbolic link: z.yaml"
t_check_fails "nothing of the linked file is in its output" "" out_has outside_only_key
t_eq "A/current stays" "$served" "$(current_of "$WORK/a")"
mv -- "$WORK/hook.off" "$ORIGIN/hooks/pre-receive"
git -C "$CLONE" rm --quiet z.yaml && git -C "$CLONE" commit --quiet -m "no link" &&
	t_check "the commit without the link is pushed" push
t_check "and synced" sync_replica "$WORK/a"

# --- REPOSITORY given wrong on the first run, then right: the right one is fetched -------------
t_check_fails "a first run with a wrong REPOSITORY fails" "" \
	bash "$SYNC" -b main "$WORK/no such.git" "$WORK/c d"
t_check "the next run with the right REPOSITORY fetches from it" \
	bash "$SYNC" -b main "$ORIGIN" "$WORK/c d"
t_eq "C serves the head" "$(head_of)" "$(current_of "$WORK/c d")"

# --- what the hook lets through without a check: tags (never served) and branch deletions ------
git -C "$CLONE" tag bad-tag "$bad"
t_check "a tag on the bad commit is pushed (tags are not served)" \
	git -C "$CLONE" push --quiet origin bad-tag
t_check "a good side branch is pushed" git -C "$CLONE" push --quiet origin HEAD:refs/heads/side
t_check "and deleted" git -C "$CLONE" push --quiet origin :refs/heads/side
t_check "the sync still serves main" sync_replica "$WORK/a"
t_eq "A/current is main's head" "$(head_of)" "$(current_of "$WORK/a")"

# --- a password in REPOSITORY's URL stays out of the messages (the journal) -------------------
rc=0
bash "$SYNC" -b main "https://admin:PW-IN-URL-$$@127.0.0.1:1/x.git" "$WORK/f" >"$WORK/f.out" 2>&1 || rc=$?
t_eq "an unreachable https://user:password@ URL: exit status 2" 2 "$rc"
t_check "the message names the URL without the password" \
	grep -qF "cannot fetch main from https://admin@127.0.0.1:1/x.git: " "$WORK/f.out"
t_check_fails "and holds no password" "" grep -qF "PW-IN-URL-$$" "$WORK/f.out"

# --- DIR/current made by hand as a directory: refused before any work, and left alone -----------
mkdir -p "$WORK/e/current" && cp -- "$BASIC" "$WORK/e/current/inventory.yaml"
t_check_fails "a DIR/current that is a directory is refused, saying so" \
	"current is not a symlink (a directory made by hand?): move it away" \
	bash "$SYNC" -b main "$ORIGIN" "$WORK/e"
t_check "it is left as it was" cmp -s -- "$BASIC" "$WORK/e/current/inventory.yaml"
t_check "and nothing was fetched" test ! -e "$WORK/e/mirror.git"

t_check "fusermount3 -u A" provfs_umount "$WORK/mnt.a"
t_check "fusermount3 -u B" provfs_umount "$WORK/mnt.b"
t_summary
