"""Issue 9: for any secret, also one drawn from the words the results themselves use, the scrubbing
changes no enumerated field, the gate's verdict is the one a long random secret gives, and the
secret's echo appears in no output. Derandomized, so that CI runs the same examples every time."""

import re

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import secrets as S
from ansible_collections.cloudbackup.precheck.plugins.plugin_utils import gate
from secret_engine import ECHO, enumerated, register_engine, run

EXAMPLES = 600


def vocabulary():
    """Every word of the results of `t` with a long secret, and the words of the schema."""
    results, _summary, msg = run("Zr8-long-random-secret-77x1q")
    words = set(R.IMPACTS + R.STATUSES + R.ERROR_CAUSES + ("backup", "log", "e", "p", "passed"))
    for result in results:
        for value in list(result.values()) + [msg]:
            words.update(w for w in re.split(r"[^\w.]+", str(value)) if w)
            words.update(w for w in re.split(r"\W+", str(value)) if w)
    return sorted(words)


original = registry.REGISTRY
registry.REGISTRY = {}
try:
    register_engine()
    ENGINE_T = registry.REGISTRY
    WORDS = vocabulary()
finally:
    registry.REGISTRY = original

# Masks are stars: a secret of stars would match the masks themselves.
SECRETS = st.one_of(st.sampled_from(WORDS), st.text(st.characters(blacklist_characters="*"), min_size=1, max_size=12),
                    st.sampled_from(WORDS).map(lambda w: w[:1]), st.sampled_from(WORDS).map(lambda w: w[1:3] or w))
LONG_SECRETS = st.text(alphabet="0123456789abcdefghjkmnpqrstvwxyz", min_size=24, max_size=32).map(lambda s: "Q-" + s)
POLICIES = st.fixed_dictionaries({
    "block_on": st.lists(st.sampled_from(R.IMPACTS), unique=True),
    "warnings_block": st.booleans(),
    "errors_block": st.booleans(),
    "accepted_findings": st.lists(st.sampled_from([{"check": "t.connection"},
                                                   {"check": "t.recovery_model", "target": "db01:1433/*"}]),
                                  unique_by=lambda entry: entry["check"]),
})


def verdict(results, policy):
    blocking, accepted = gate.evaluate(results, policy)
    return not blocking, [(r["id"], r["target"]) for r in blocking], [(r["id"], r["target"]) for r in accepted]


def free_texts(result):
    return [result["message"], result["remediation"]] + [str(v) for v in result["details"].values()]


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow], phases=[Phase.explicit, Phase.generate, Phase.shrink])
@given(secret=SECRETS, long_secret=LONG_SECRETS, policy=POLICIES)
def test_no_secret_changes_a_verdict_or_an_enumerated_field_or_shows_its_echo(secret, long_secret, policy):
    saved = registry.REGISTRY
    registry.REGISTRY = ENGINE_T
    try:
        results, summary, msg = run(secret)
        reference, reference_summary, reference_msg = run(long_secret)
    finally:
        registry.REGISTRY = saved
    assert enumerated(results) == enumerated(reference)
    assert summary == reference_summary
    assert verdict(results, policy) == verdict(reference, policy)
    for result, other in zip(results, reference):
        for text, other_text in zip(free_texts(result), free_texts(other)):
            other_text = other_text.replace(long_secret, S.MASK)
            if len(secret) < S.MIN_LENGTH:
                # Too short to mask (core/secrets.py): the text is what any other secret gives.
                assert text == other_text.replace(S.MASK, secret)
            else:
                # Masks stand only where the secret stood, and it stands as a word nowhere.
                assert text.replace(S.MASK, secret) == other_text.replace(S.MASK, secret)
                assert S.mask_text(text, [secret]) == text
    if len(secret) >= S.MIN_LENGTH:
        echo = [r for r in results if r["id"] == "t.connection"][0]["message"]
        assert echo == ECHO % S.MASK
        # The task's msg names the first error: the echo, masked (its target is no echo, and is left alone).
        assert msg == reference_msg.replace(long_secret, S.MASK) and msg.endswith(ECHO % S.MASK)
