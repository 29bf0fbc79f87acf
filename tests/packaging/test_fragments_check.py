"""scripts/check_fragments.sh on small repositories: a change to plugins/ or roles/ needs a changelog
fragment, on main since the last release, on a branch since it left main; clean and shallow clones
never fail for want of history."""

import os
import subprocess

import pytest

from collection_files import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "check_fragments.sh")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo)] + list(args), check=True, capture_output=True,
                   env=dict(os.environ, **GIT_ENV), timeout=60)


def write(repo, path, text="x\n"):
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def commit(repo, *paths, message="change"):
    for path in paths:
        write(repo, path, "%s %s\n" % (path, message))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def check(repo, **env):
    proc = subprocess.run(["bash", SCRIPT, str(repo)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **dict(GIT_ENV, **env)), check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def released(tmp_path):
    """main with a release: changelog.yaml written, fragments gone."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "plugins/modules/a.py", "roles/r/tasks/main.yml", "docs/a.md", message="first")
    commit(repo, "changelogs/changelog.yaml", message="release 1.0.0")
    return repo


def test_right_after_a_release_nothing_is_missing(released):
    assert check(released)[0] == 0


def test_a_plugin_change_on_main_without_a_fragment_fails_and_names_the_file(released):
    commit(released, "plugins/modules/a.py")
    rc, out = check(released)
    assert rc == 1, out
    assert "plugins/modules/a.py" in out and "the last release" in out and "changelogs/fragments/" in out


def test_a_fragment_satisfies_it(released):
    commit(released, "plugins/modules/a.py", "changelogs/fragments/a.yml")
    rc, out = check(released)
    assert rc == 0, out
    assert "1 changed file(s) in plugins/ and roles/, 1 fragment(s)" in out


def test_a_documentation_change_needs_no_fragment(released):
    commit(released, "docs/a.md", "README.md")
    assert check(released)[0] == 0


def test_a_branch_needs_its_own_fragment_even_when_main_has_one(released):
    commit(released, "plugins/modules/a.py", "changelogs/fragments/a.yml")
    git(released, "checkout", "-q", "-b", "feature")
    commit(released, "roles/r/tasks/main.yml")
    rc, out = check(released)
    assert rc == 1 and "roles/r/tasks/main.yml" in out and "where this branch left main" in out, out
    assert "plugins/modules/a.py" not in out      # main's change is main's business
    commit(released, "changelogs/fragments/r.yml")
    assert check(released)[0] == 0


def test_uncommitted_and_untracked_changes_count(released):
    write(released, "plugins/modules/a.py", "edited\n")
    write(released, "plugins/modules/new.py")
    rc, out = check(released)
    assert rc == 1 and "plugins/modules/a.py" in out and "plugins/modules/new.py" in out, out
    write(released, "changelogs/fragments/new.yml")
    assert check(released)[0] == 0


def test_changelog_base_names_the_comparison(released):
    commit(released, "plugins/modules/a.py", "changelogs/fragments/a.yml")
    base = subprocess.run(["git", "-C", str(released), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    commit(released, "plugins/modules/a.py", message="later")
    rc, out = check(released, CHANGELOG_BASE=base)
    assert rc == 1 and "CHANGELOG_BASE" in out, out
    rc, out = check(released, CHANGELOG_BASE="no-such-ref")
    assert rc == 2 and "CHANGELOG_BASE=no-such-ref is not a commit" in out, out


def test_clones_of_main_compare_with_the_release_and_a_shallow_one_never_fails(released, tmp_path):
    commit(released, "plugins/modules/a.py")       # no fragment: a full clone must see it
    full, shallow = tmp_path / "full", tmp_path / "shallow"
    url = "file://%s" % released
    subprocess.run(["git", "clone", "-q", url, str(full)], check=True, timeout=60)
    subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(shallow)], check=True, timeout=60)
    assert check(full)[0] == 1
    rc, out = check(shallow)
    assert rc == 0, out


def test_outside_a_git_checkout_it_says_so(tmp_path):
    rc, out = check(tmp_path)
    assert rc == 2 and "is not a git checkout" in out
