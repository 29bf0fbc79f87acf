#!/usr/bin/env bash
# A change to plugins/ or roles/ comes with a changelog fragment: a new or changed file in
# changelogs/fragments/ (CONTRIBUTING.md, "Changelog fragments"). Compared, committed, uncommitted and
# untracked files alike, against:
#   1. $CHANGELOG_BASE when set (CI of a pull request: the target branch);
#   2. otherwise, on a branch that is not contained in main (or origin/main), the commit where the
#      branch left it: the branch's own changes need their fragment;
#   3. otherwise (main itself, or a clean clone of it) the last release, the last commit that changed
#      changelogs/changelog.yaml (`antsibull-changelog release` writes it and removes the fragments).
# A shallow clone compares only what it has: at worst nothing, never a spurious failure.
# Usage: scripts/check_fragments.sh [checkout directory, default this one]
set -euo pipefail
dir=${1:-"$(dirname "$0")/.."}
cd "$dir"
git rev-parse --git-dir >/dev/null 2>&1 || { echo "check_fragments: $PWD is not a git checkout" >&2; exit 2; }

main_ref=""
for ref in main origin/main; do
  if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then main_ref=$ref; break; fi
done
if [ -n "${CHANGELOG_BASE:-}" ]; then
  base=$(git rev-parse --verify "$CHANGELOG_BASE^{commit}") || {
    echo "check_fragments: CHANGELOG_BASE=$CHANGELOG_BASE is not a commit of this repository" >&2; exit 2; }
  why="CHANGELOG_BASE ($CHANGELOG_BASE)"
elif [ -n "$main_ref" ] && ! git merge-base --is-ancestor HEAD "$main_ref"; then
  base=$(git merge-base HEAD "$main_ref")
  why="where this branch left $main_ref"
else
  base=$(git log -1 --format=%H -- changelogs/changelog.yaml)
  why="the last release (the last change to changelogs/changelog.yaml)"
  [ -n "$base" ] || { echo "check_fragments: no release found (changelogs/changelog.yaml has no history)" >&2; exit 2; }
fi

changed() {  # files under the given paths that differ from $base, untracked ones included
  { git diff --name-only "$base" -- "$@"; git ls-files --others --exclude-standard -- "$@"; } | sort -u
}
mapfile -t changes < <(changed plugins roles)
mapfile -t fragments < <(changed changelogs/fragments | grep -E '\.ya?ml$' || true)
short=$(git rev-parse --short "$base")
if [ ${#changes[@]} -gt 0 ] && [ ${#fragments[@]} -eq 0 ]; then
  echo "check_fragments: plugins/ or roles/ changed since $short, $why, but no changelog fragment was added:"
  printf '  %s\n' "${changes[@]}"
  echo "Add changelogs/fragments/<topic>.yml (see CONTRIBUTING.md), for example:"
  echo "  minor_changes:"
  echo "    - precheck role - what changed, for whom."
  echo "A change that users do not notice (a refactoring) takes a 'trivial:' entry."
  exit 1
fi
echo "check_fragments: compared with $short, $why: ${#changes[@]} changed file(s) in plugins/ and roles/, ${#fragments[@]} fragment(s)."
