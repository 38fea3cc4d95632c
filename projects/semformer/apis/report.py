"""One writer for the tables the tools produce (pipeline, ablations, benchmarks):
the same rows as JSON (for scripts) and Markdown (for people), replaced atomically."""
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..utils.atomic import write_text_atomic


def format_cell(value: Any) -> str:
    """Numbers with one decimal, None as an empty cell, the rest as ``str``."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f'{value:.1f}'
    return str(value)


def markdown_table(rows: Sequence[Mapping[str, Any]],
                   columns: Sequence[Tuple[str, str]]) -> str:
    """A Markdown table of ``rows``.

    Args:
        rows (Sequence[Mapping]): one mapping per row.
        columns (Sequence[tuple[str, str]]): ``(key, header)`` pairs, in order.
            Columns whose first non-empty value is a number are right-aligned.

    Returns:
        str: the table, one line per row, ending with a newline.
    """
    def numeric(key):
        for r in rows:
            v = r.get(key)
            if v not in (None, ''):
                return isinstance(v, (int, float)) and not isinstance(v, bool)
        return False

    lines = ['| ' + ' | '.join(h for _, h in columns) + ' |',
             '|' + '|'.join('---:' if numeric(k) else '---' for k, _ in columns) + '|']
    for r in rows:
        lines.append('| ' + ' | '.join(format_cell(r.get(k)) for k, _ in columns) + ' |')
    return '\n'.join(lines) + '\n'


def write_table(stem: str,
                rows: Sequence[Mapping[str, Any]],
                columns: Sequence[Tuple[str, str]],
                title: Optional[str] = None,
                footer: Optional[Mapping[str, Any]] = None,
                extra: Optional[Dict[str, Any]] = None) -> str:
    """Write ``<stem>.md`` and ``<stem>.json``.

    Args:
        stem (str): output path without extension.
        rows (Sequence[Mapping]): the table rows.
        columns (Sequence[tuple[str, str]]): ``(key, header)`` pairs.
        title (str, optional): a ``#`` heading above the Markdown table.
            Defaults to None.
        footer (Mapping, optional): a last Markdown row (e.g. totals); also in the
            JSON as ``footer``. Defaults to None.
        extra (dict, optional): more JSON fields. Defaults to None.

    Returns:
        str: the Markdown written.
    """
    body = list(rows) + ([footer] if footer else [])
    markdown = (f'# {title}\n\n' if title else '') + markdown_table(body, columns)
    payload: Dict[str, Any] = dict(rows=list(rows))
    if footer:
        payload['footer'] = dict(footer)
    payload.update(extra or {})
    write_text_atomic(stem + '.md', markdown)
    write_text_atomic(stem + '.json', json.dumps(payload, indent=1, default=repr) + '\n')
    return markdown


def read_rows(stem: str) -> List[dict]:
    """The rows of a table written by :func:`write_table` (empty if absent)."""
    path = stem + '.json'
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return json.load(f).get('rows', [])
