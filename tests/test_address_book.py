"""Address completion from the sent Maildir and from an address-book command."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from mailtui.address_book import (
    AddressBook,
    AddressBookError,
    Candidate,
    command_line,
    query_address_book,
    sent_candidates,
)

SCRIPT = Path(__file__).with_name("address_book_query.py")
BOOK = f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPT))} %s"


def write_sent(maildir: Path, name: str, headers: str, age: float, body: str = "hi\n") -> Path:
    (maildir / "cur").mkdir(parents=True, exist_ok=True)
    (maildir / "new").mkdir(exist_ok=True)
    path = maildir / "cur" / f"{name}:2,S"
    path.write_bytes((headers.strip() + "\n\n" + body).encode())
    when = time.time() - age
    os.utime(path, (when, when))
    return path


@pytest.fixture
def sent(tmp_path: Path) -> Path:
    box = tmp_path / "sent"
    write_sent(box, "1", "To: Ann <ann@example.com>\nCc: bob@example.com", age=300)
    write_sent(box, "2", "To: ann@example.com, carol@example.com", age=200)
    write_sent(box, "3", "To: carol@example.com", age=100)
    write_sent(box, "4", "Bcc: =?utf-8?q?J=C3=BCrgen?= <juergen@example.de>", age=50)
    write_sent(box, "5", "To: ANN Smith <Ann@Example.com>", age=10)
    return box


def test_sent_addresses_rank_by_use_then_by_recency(sent: Path):
    ranked = sent_candidates(sent)
    assert [c.address for c in ranked] == [
        "Ann@Example.com",  # 3 uses, spelled as most recently
        "carol@example.com",  # 2 uses, last 100 s ago
        "juergen@example.de",  # 1 use, 50 s ago (from Bcc)
        "bob@example.com",  # 1 use, 300 s ago
    ]
    assert ranked[0].name == "ANN Smith"  # the name used most recently
    assert ranked[2].display() == "Jürgen <juergen@example.de>"


def test_only_the_newest_files_and_only_headers_are_read(sent: Path):
    write_sent(sent, "old", "To: ancient@example.com", age=10_000)
    huge = write_sent(sent, "6", "To: dave@example.com", age=1, body="To: body@example.com\n" * 10)
    assert huge.exists()
    addresses = [c.address for c in sent_candidates(sent, limit=6)]
    assert "ancient@example.com" not in addresses
    assert "dave@example.com" in addresses and "body@example.com" not in addresses


def test_a_missing_sent_maildir_gives_no_candidates(tmp_path: Path):
    assert sent_candidates(tmp_path / "nothing") == []


def test_the_command_answers_in_mutt_query_format():
    found = query_address_book(BOOK, "ann")
    assert found == [
        Candidate("ann.smith@example.com", "Ann Smith", "work"),
        Candidate("annette@example.net", "Annette", ""),
    ]
    assert query_address_book(BOOK, "nobody") == []  # status line and exit 1: no match


def test_the_query_is_shell_quoted():
    assert command_line("abook --mutt-query %s", "a'; rm -rf ~") == (
        "abook --mutt-query 'a'\"'\"'; rm -rf ~'"
    )
    assert command_line("lookup", "x y") == "lookup 'x y'"
    assert query_address_book(BOOK, "Müller; echo injected@example.com") == []


def test_a_slow_command_is_stopped_at_the_time_bound():
    started = time.monotonic()
    with pytest.raises(AddressBookError, match="no answer within 0.5 seconds"):
        query_address_book(BOOK, "slow", timeout=0.5)
    assert time.monotonic() - started < 5


def test_endless_output_is_cut_at_the_output_bound():
    found = query_address_book(BOOK, "flood", max_output=10_000)
    assert 0 < len(found) <= 10_000 // len("flood@example.com\tFlood\tx\n")
    assert all(c == Candidate("flood@example.com", "Flood", "x") for c in found)


def test_a_failing_command_is_an_error_that_says_so():
    with pytest.raises(AddressBookError, match="exit status 3"):
        query_address_book(BOOK, "broken")
    with pytest.raises(AddressBookError, match="not found"):
        query_address_book("no-such-address-book-program %s", "ann")


def test_the_book_merges_sent_first_then_the_command_each_address_once(sent: Path):
    book = AddressBook(sent, BOOK)
    found = [c.address for c in book.complete("ann")]
    assert found == ["Ann@Example.com", "ann.smith@example.com", "annette@example.net"]
    assert book.complete("  ") == []
    assert [c.address for c in AddressBook(sent).complete("example.de")] == ["juergen@example.de"]


def test_a_failing_command_keeps_the_sent_matches(sent: Path):
    book = AddressBook(sent, "exit 9")
    with pytest.raises(AddressBookError) as caught:
        book.complete("carol")
    assert [c.address for c in caught.value.candidates] == ["carol@example.com"]


def test_display_quotes_names_with_specials_and_keeps_non_ascii_readable():
    assert Candidate("a@x.org", "Doe, John").display() == '"Doe, John" <a@x.org>'
    assert Candidate("a@x.org", 'Say "hi"').display() == '"Say \\"hi\\"" <a@x.org>'
    assert Candidate("a@x.org", "Jürgen").display() == "Jürgen <a@x.org>"
    assert Candidate("a@x.org").display() == "a@x.org"
