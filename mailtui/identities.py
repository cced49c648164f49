"""The From addresses a profile's account may use: `from_addr` plus `identities`, and the
warning for a From outside them (servers often refuse it: 550 5.7.60, 553). A warning, never
an error: only the server knows what the account may send as."""

from __future__ import annotations

from typing import Any


def _addr_spec(text: str) -> str:
    from email.utils import getaddresses  # on use: not before the composer's first frame

    pairs = getaddresses([text])
    return pairs[0][1].strip().lower() if pairs and pairs[0][1] else ""


def profile_addresses(profile: Any) -> list[str]:
    """from_addr first, then each identity, as written (display names kept), no repeats."""
    seen: set[str] = set()
    addresses = []
    for text in (profile.from_addr, *getattr(profile, "identities", ())):
        spec = _addr_spec(text) if text else ""
        if spec and spec not in seen:
            seen.add(spec)
            addresses.append(text.strip())
    return addresses


def foreign_from_warning(from_addr: str, profile: Any) -> str | None:
    """A sentence when `from_addr` is none of the profile's addresses; None when it is one
    (or when the profile declares none, or nothing leaves the machine)."""
    if getattr(profile, "handler", "smtp") == "dummy":
        return None
    spec = _addr_spec(from_addr)
    owned = profile_addresses(profile)
    if not spec or not owned or spec in {_addr_spec(text) for text in owned}:
        return None
    listed = ", ".join(_addr_spec(text) for text in owned)
    return (
        f"From {spec} is not one of profile {profile.name}'s addresses ({listed}): servers "
        "often refuse a From the account does not own (550 5.7.60 / 553). If the account may "
        "send as it, add it to identities."
    )


def next_address(current: str, profile: Any) -> str:
    """The profile's address after `current` (the first when `current` is none of them):
    what the composer's From key cycles through."""
    owned = profile_addresses(profile)
    if not owned:
        return current
    specs = [_addr_spec(text) for text in owned]
    spec = _addr_spec(current) if current.strip() else _addr_spec(owned[0])
    if spec not in specs:
        return owned[0]
    return owned[(specs.index(spec) + 1) % len(owned)]
