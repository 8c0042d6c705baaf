"""Who may do what is answered in providers/authority.py and nowhere else (issue 13).

A reviewer's grep, as a test: outside the authority module, the catalog and the models that define
them, product code names no role of the Access table, no administrator query, no provider-type
service constraint and no Manage Subordinate Accounts code. A copy of a rule written anywhere else
fails here, which is how the old copies (a template's "who may decide", the Link view's silent
trim, the findings' own "grantable") went unnoticed.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("accounts", "audit", "posc", "providers", "subordinates", "scaledata", "templates")
ALLOWED = {
    "providers/authority.py",  # the answer
    "providers/catalog.py",  # the catalog's own constants
    "providers/models.py",  # the roles and constraints are defined there
}
PATTERNS = {
    "a role of the Access table": re.compile(r"Access\.Role\.(PRIMARY|BACKUP|SUBORDINATE)\b"),
    "an administrator query": re.compile(r"\.administrators\(\)|role__in=\((?!authority)"),
    "a provider-type or administrator-only constraint": re.compile(r"\b(LTC_ONLY|PACE_SCO_ONLY)\b|is_admin_only"),
    "Manage Subordinate Accounts": re.compile(r"MANAGE_SUBORDINATES|[\"']manage_subordinates[\"']"),
    "a role compared in a template": re.compile(r"\.role\s*(==|!=)\s*[\"'](primary|backup|subordinate)[\"']"),
    "the always-held service compared in a template": re.compile(r"==\s*[\"']portal_services[\"']"),
}


def _product_files():
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in (".py", ".html") or "migrations" in path.parts:
                continue
            relative = path.relative_to(ROOT).as_posix()
            if relative not in ALLOWED:
                yield relative, path.read_text(encoding="utf-8")


def test_no_policy_question_is_answered_outside_the_authority_module():
    found = [
        f"{name}:{number}: {what}: {line.strip()}"
        for name, text in _product_files()
        for number, line in enumerate(text.splitlines(), start=1)
        for what, pattern in PATTERNS.items()
        if pattern.search(line)
    ]
    assert found == []


def test_the_check_sees_a_copy_when_there_is_one():
    # The patterns are not vacuous: each matches the kind of line the old copies were.
    samples = [
        "Access.objects.open().filter(role=Access.Role.PRIMARY)",
        "Access.objects.open().administrators()",
        "qs.exclude(constraint=catalog.LTC_ONLY)",
        "if catalog.MANAGE_SUBORDINATES in codes:",
        '{% if item.role != "primary" %}',
        '{% if s.code == "portal_services" %}',
    ]
    for sample in samples:
        assert any(p.search(sample) for p in PATTERNS.values()), sample
