# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an option declaration says beyond AnsibleModule's spec, checked once for every engine.

- `minimum` / `exclusive_minimum` / `maximum`: the valid range of a number (of each element of a
  list of numbers). A float is also always finite: AnsibleModule takes `nan` and `inf` as floats,
  and a timeout of nan or 1e10 crashed threads and drivers far from the option that caused it.
- `existing_file=True`: a path that must name a file, so that a missing CA bundle is an argument
  error and not a crash inside a TLS handshake.

tools/generate.py writes the same rule into the option's documentation (`rule_text`), so that the
docs and the error message cannot disagree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os

# Keys of an option declaration that only this module reads.
RULE_KEYS = ("minimum", "exclusive_minimum", "maximum", "existing_file")

_NUMBERS = ("int", "float")


def _number(value):
    return ("%d" % value) if float(value).is_integer() and abs(value) < 1e15 else ("%g" % value)


def range_text(declaration):
    """`greater than 0 and at most 86400`, `from 1 to 65535`, `at least 0`; None without a range."""
    low, high = declaration.get("minimum"), declaration.get("maximum")
    above = declaration.get("exclusive_minimum")
    if low is not None and high is not None:
        return "from %s to %s" % (_number(low), _number(high))
    parts = []
    if above is not None:
        parts.append("greater than %s" % _number(above))
    if low is not None:
        parts.append("at least %s" % _number(low))
    if high is not None:
        parts.append("at most %s" % _number(high))
    return " and ".join(parts) or None


def rule_text(declaration):
    """The sentence the documentation adds for the declaration's rule, or None."""
    if declaration.get("existing_file"):
        return "The file must exist."
    text = range_text(declaration)
    if text is None:
        return None
    what = "Each element" if declaration.get("type") == "list" else "The value"
    return "%s must be %s." % (what, text)


def _kind(declaration):
    kind = declaration.get("type")
    return declaration.get("elements") if kind == "list" else kind


def _value_problem(name, declaration, value):
    kind = _kind(declaration)
    if kind not in _NUMBERS or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    text = range_text(declaration)
    valid = " (valid: a number %s)" % text if text else " (valid: a finite number)"
    if kind == "float" and not math.isfinite(value):
        return "%s: %r is not a finite number%s" % (name, value, valid)
    low, high, above = declaration.get("minimum"), declaration.get("maximum"), declaration.get("exclusive_minimum")
    if (low is not None and value < low) or (high is not None and value > high) or (above is not None and value <= above):
        return "%s: %s is out of range%s" % (name, _number(value), valid)
    return None


def problems(options, params):
    """What is wrong with `params` by the rules of the declarations `options`, each naming the option
    and what is valid; suboptions are named `option.suboption`."""
    found = []
    for name, declaration in options.items():
        value = params.get(name) if isinstance(params, dict) else None
        if value is None:
            continue
        if declaration.get("existing_file") and not os.path.isfile(str(value)):
            found.append("%s: %s is not an existing file" % (name, value))
        values = value if isinstance(value, list) else [value]
        for item in values:
            if "options" in declaration and isinstance(item, dict):
                found.extend(problems(dict(("%s.%s" % (name, sub), spec) for sub, spec in declaration["options"].items()),
                                      dict(("%s.%s" % (name, sub), v) for sub, v in item.items())))
                continue
            problem = _value_problem(name, declaration, item)
            if problem:
                found.append(problem)
    return found
