"""Making input-derived text safe to show, and quantities readable.

Service names, evidence details and reasons come from files people upload. They are shown through
``st.dataframe``, ``st.code`` and ``st.text`` where possible (never as HTML); where they go into
Markdown (titles, captions, ``st.markdown``), :func:`md` escapes them first.
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.exports import code as _export_code
from advisor.exports import md as _export_md


def md(text: object) -> str:
    """Input-derived text escaped for ``st.markdown``: HTML, Markdown punctuation, ``$`` (which
    Streamlit would typeset as LaTeX) and what GitHub-flavoured Markdown would turn into a link by
    itself (``scheme://``, ``www.``, ``user@host``).

    >>> print(md("<b>x</b> costs $5 [a](javascript:alert(1)) http://h user@h.io"))
    &lt;b&gt;x&lt;/b&gt; costs \\$5 \\[a\\]\\(javascript:alert\\(1\\)\\) http:\\/\\/h user\\@h.io
    """
    return (_export_md(text).replace("$", "\\$").replace("://", ":\\/\\/").replace("www.", "www\\.")
            .replace("@", "\\@"))


def code(text: object) -> str:
    """Input-derived text as an inline code span (no backticks or pipes can break out of it)."""
    return _export_code(text)


def names(items: Iterable[object], *, limit: int = 6) -> str:
    """A short escaped list of names: ``a, b, c and 4 more``."""
    seq = [items] if isinstance(items, str) else [str(x) for x in items]
    shown = ", ".join(md(x) for x in seq[:limit])
    if len(seq) > limit:
        shown += f" and {len(seq) - limit} more"
    return shown


def human_bytes(n: int | float | None) -> str:
    """``64 MiB`` rather than ``67108864``.

    >>> human_bytes(64 * 1024 * 1024), human_bytes(1536), human_bytes(None)
    ('64 MiB', '1.5 KiB', 'unknown')
    """
    if n is None:
        return "unknown"
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "bytes":
                return f"{int(value):,} bytes"
            return f"{value:,.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{value:,.1f} TiB"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
