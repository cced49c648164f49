#!/usr/bin/env python3
"""An address book for the tests, speaking mutt's query_command format.

Usage: address_book_query.py QUERY. A status line, then address<TAB>name<TAB>comment for
every entry whose address or name contains QUERY. Special queries test the bounds:
"slow" never answers, "flood" writes without end, "broken" exits 3 saying nothing.
"""

import sys
import time

ENTRIES = [
    ("ann.smith@example.com", "Ann Smith", "work"),
    ("bob@example.org", "Bob Müller", "football"),
    ("annette@example.net", "Annette", ""),
]

query = sys.argv[1] if len(sys.argv) > 1 else ""
if query == "slow":
    time.sleep(60)
if query == "broken":
    sys.exit(3)
if query == "flood":
    print("Flooding")
    while True:
        sys.stdout.write("flood@example.com\tFlood\tx\n" * 1000)
found = [e for e in ENTRIES if query.lower() in (e[0] + e[1]).lower()]
print(f"Searching database ... found {len(found)} matching entries:")
for address, name, comment in found:
    print(f"{address}\t{name}\t{comment}")
sys.exit(0 if found else 1)
