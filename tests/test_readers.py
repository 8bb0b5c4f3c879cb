"""Readers: chunks of columns, row numbers in file order, unparseable rows kept as errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcredit.errors import ConfigurationError
from socialcredit.ingest import RowError, read_chunks, read_rows


def test_csv_row_numbers_skip_nothing_and_bad_rows_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        '\ufeffa,b\n1,x\n2,"quoted, comma"\n3,y,extra\n\n4,\n5,"two\nlines"\n6,z\n',
        encoding="utf-8",
    )
    rows = list(read_rows(path))
    assert [n for n, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0][1] == {"a": "1", "b": "x"}
    assert rows[1][1] == {"a": "2", "b": "quoted, comma"}
    assert isinstance(rows[2][1], RowError) and "3 values" in rows[2][1].reason
    assert rows[3][1] == {"a": "4"}  # an empty value is absent
    assert rows[4][1] == {"a": "5", "b": "two\nlines"}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_chunks_have_the_asked_size_and_keep_order(tmp_path: Path, size: int) -> None:
    path = tmp_path / "r.csv"
    lines = ["a,b"] + [f"{i},v{i}" if i % 4 else f"{i},v,bad" for i in range(1, 21)]
    path.write_text("\n".join(lines) + "\n")
    chunks = list(read_chunks(path, None, size))
    assert all(c.rows == size for c in chunks[:-1]) and 0 < chunks[-1].rows <= size
    numbers = sorted(n for c in chunks for n in [*c.numbers, *(e for e, _ in c.errors)])
    assert numbers == list(range(1, 21))
    errors = [n for c in chunks for n, _ in c.errors]
    assert errors == [4, 8, 12, 16, 20]
    values = [v for c in chunks for v in c.columns["a"]]
    assert values == [str(i) for i in range(1, 21) if i % 4]


def test_jsonl_and_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n[1]\n{"b": "x"}\n')
    rows = list(read_rows(path))
    assert [n for n, _ in rows] == [1, 2, 3]
    assert rows[0][1] == {"a": 1} and isinstance(rows[1][1], RowError)
    assert rows[2][1] == {"b": "x"}
    empty = tmp_path / "e.csv"
    empty.write_text("")
    assert list(read_rows(empty)) == []


def test_bad_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"a,b\n1,\xff\xfe\n")
    with pytest.raises(ConfigurationError, match="cannot"):
        list(read_rows(path))


def test_estimate_rows(tmp_path: Path) -> None:
    from socialcredit.ingest import estimate_rows

    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    assert estimate_rows(path) == 2
    lines = tmp_path / "r.jsonl"
    lines.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    assert estimate_rows(lines) == 3
