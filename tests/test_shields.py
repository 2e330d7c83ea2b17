"""Page shields (ingest.shields): glob semantics, linear-time matching and the bounds on a glob.

Pure functions, table-driven; the pathological globs run in a child interpreter with a generous time
limit, which backtracking matchers exceed by far.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import re2

from ingest.shields import MAX_GLOB_LENGTH, MAX_GLOB_WILDCARDS, ShieldError, Shields, parse_pages

PATHOLOGICAL = "/**a**a**a**a**a**a**a**b"


def blocked(globs: str, pathname: str) -> bool:
    pages = parse_pages(globs)
    assert pages is not None
    return pages.matches(pathname)


@pytest.mark.parametrize(
    ("glob", "pathname", "expected"),
    [
        ("/admin", "/admin", True),
        ("/admin", "/admin/", False),
        ("/admin", "/administrator", False),
        ("/admin/*", "/admin/users", True),
        ("/admin/*", "/admin/", True),
        ("/admin/*", "/admin/users/7", False),  # * does not cross /
        ("/admin/**", "/admin/users/7", True),  # ** does
        ("/admin/**", "/admin/", True),
        ("/admin/**", "/admin", False),
        ("/*/edit", "/post/edit", True),
        ("/*/edit", "/a/b/edit", False),
        ("/**/edit", "/a/b/edit", True),
        ("/blog/*.html", "/blog/post.html", True),
        ("/blog/*.html", "/blog/a/post.html", False),
        ("/**", "/any/thing\nwith a newline", True),
        # every other character is itself, never a regex metacharacter
        ("/a.b", "/a.b", True),
        ("/a.b", "/axb", False),
        ("/a+b", "/a+b", True),
        ("/a+b", "/aab", False),
        ("/f(x)", "/f(x)", True),
        ("/f(x", "/f(x", True),
        ("/[ab]", "/[ab]", True),
        ("/[ab]", "/a", False),
        ("/a?b|c", "/a?b|c", True),
        ("/a?b|c", "/ab", False),
        ("/a\\d", "/a\\d", True),
        ("/a\\d", "/a1", False),
        ("/^$", "/^$", True),
        ("/über/*", "/über/straße", True),
        ("/x{2}", "/xx", False),
        (PATHOLOGICAL, "/" + "a" * 55, False),
        (PATHOLOGICAL, "/" + "a" * 55 + "b", True),
        (PATHOLOGICAL, "/a/a/a/a/a/a/a/b", True),
    ],
)
def test_glob_semantics(glob: str, pathname: str, expected: bool) -> None:
    assert blocked(glob, pathname) is expected


def test_any_of_several_globs_blocks() -> None:
    pages = "# internal pages\n/admin/**\n\n/preview/*"
    assert [blocked(pages, p) for p in ("/admin/x/y", "/preview/a", "/preview/a/b", "/")] == [
        True,
        True,
        False,
        False,
    ]


def test_globs_compile_to_re2_which_never_backtracks() -> None:
    pages = parse_pages(f"/admin/**\n{PATHOLOGICAL}")
    assert pages is not None
    assert pages.compiled and all(isinstance(p, re2._Regexp) for p in pages.compiled)


def test_a_pathological_glob_matches_a_long_path_quickly() -> None:
    """Backtracking takes minutes here (and seconds at 56 characters); RE2 a fraction of a millisecond."""
    code = textwrap.dedent(
        f"""
        from ingest.shields import Shields
        shields = Shields.from_text(ips="", pages={PATHOLOGICAL!r}, countries="", hostnames="")
        for length in (56, 200, 2000):
            reason = shields.check(ip="192.0.2.1", pathname="/" + "a" * length, country="", hostname="x")
            assert reason is None, reason
        print("done")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=5, check=True)
    assert out.stdout.strip() == "done"


@pytest.mark.parametrize(
    ("text", "named", "why"),
    [
        ("/ok\nno-slash", "no-slash", "must start with /"),
        ("/ok\n/" + "a" * MAX_GLOB_LENGTH, "/aaaa", f"at most {MAX_GLOB_LENGTH} characters"),
        ("/ok\n" + "/*" * (MAX_GLOB_WILDCARDS + 1), "/*/*", f"at most {MAX_GLOB_WILDCARDS} wildcards"),
        ("/" + "**a" * (MAX_GLOB_WILDCARDS + 1), "/**a**a", f"at most {MAX_GLOB_WILDCARDS} wildcards"),
    ],
)
def test_a_glob_past_the_bounds_is_refused_naming_it(text: str, named: str, why: str) -> None:
    with pytest.raises(ShieldError) as refused:
        parse_pages(text)
    assert named in str(refused.value) and why in str(refused.value)


def test_globs_at_the_bounds_are_accepted() -> None:
    longest = "/" + "a" * (MAX_GLOB_LENGTH - 1)
    starry = "/*" * MAX_GLOB_WILDCARDS
    assert blocked(longest, longest)
    assert blocked(starry, "/a" * MAX_GLOB_WILDCARDS)
    assert blocked("/***", "/a/b")  # a run of stars is one wildcard


def test_ingest_ignores_a_stored_glob_past_the_bounds() -> None:
    shields = Shields.from_text(ips="", pages="/" + "*a" * 40, countries="", hostnames="")
    assert shields.pages is None
