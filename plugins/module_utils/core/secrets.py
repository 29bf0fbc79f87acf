# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The last defence against a secret that a driver echoed into a result: masking, by one rule.

Secrets should never reach a result's text in the first place (no check puts a password into a
message); this masks what a driver may still echo, such as `PWD=...;` in a connection error.

The rule, and why:
- Only free text is masked: `message`, `remediation` and the string values of `details`. The
  enumerated fields (id, code, status, impact, cause, target, engine, ...: core/results.py
  RESULT_FIELDS) are what the gate, the summary and the reports compare; rewriting them let the
  password `backup` turn the impact `log_backup` into `log_********`, so that the gate passed a
  blocking finding.
- Only whole tokens are masked: an occurrence next to a letter, digit or `_` is part of another
  word and is left alone. Masking `p` inside `dependency` or `pass` inside `passed` would corrupt
  ordinary words and, by where the masks fall, spell the secret out. A secret that is an ordinary
  word is masked where it stands as a word of the text: that shows it, but a password that is a
  word is found by any dictionary, and the word cannot be told from a driver's echo of it.
- A secret shorter than MIN_LENGTH characters is never masked: its masks in ordinary text (`a`, `5`,
  `to` as words of a sentence) would show it, and a secret that short is guessed in moments anyway.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = "********"
MIN_LENGTH = 4
FREE_TEXT_FIELDS = ("message", "remediation", "details")


def _pattern(secrets):
    alternatives = []
    for secret in sorted(set(s for s in secrets if isinstance(s, str) and len(s) >= MIN_LENGTH), key=len, reverse=True):
        # A boundary is asked for only at an edge that is a word character: `;x=1` is a token by itself.
        head = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
        tail = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
        alternatives.append(head + re.escape(secret) + tail)
    return re.compile("|".join(alternatives)) if alternatives else None


def mask_text(value, secrets):
    """`value` (a string, or a list or dict of them, as in `details`) with every whole-token
    occurrence of a secret masked; anything else is returned as it is."""
    pattern = _pattern(secrets or ())
    return value if pattern is None else _masked(value, pattern)


def _masked(value, pattern):
    if isinstance(value, str):
        return pattern.sub(MASK, value)
    if isinstance(value, dict):
        return dict((key, _masked(item, pattern)) for key, item in value.items())
    if isinstance(value, list):
        return [_masked(item, pattern) for item in value]
    return value


def scrub_result(result, secrets):
    """The result with its free text masked (see the module's rule); the same object when nothing
    changed, so that a report of many results copies only what it must."""
    pattern = _pattern(secrets or ())
    if pattern is None:
        return result
    masked = None
    for key in FREE_TEXT_FIELDS:
        if key not in result:
            continue
        new = _masked(result[key], pattern)
        if new != result[key]:
            masked = masked if masked is not None else dict(result)
            masked[key] = new
    return result if masked is None else masked
