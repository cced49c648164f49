"""TLS for the transport: the context, the fingerprint pin, and a description for `check`."""

from __future__ import annotations

import hashlib
import hmac
import ssl
from datetime import datetime, timezone

from mailtui.config import Profile
from mailtui.errors import TlsError
from mailtui.smtp_wire import BoundedSMTP


def tls_context(profile: Profile) -> ssl.SSLContext:
    """A verifying context. Without ca_file it trusts the system CAs; with ca_file it trusts
    the CAs in that file *instead* (the system store is not loaded). With a pinned fingerprint
    (or verify = false) no CA is consulted: the pin is checked right after the handshake,
    before a single command is sent."""
    context = ssl.create_default_context(cafile=profile.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if profile.tls_fingerprint or not profile.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def unverified_context() -> ssl.SSLContext:
    """Checks nothing: only for reading the certificate a server presents (`check`)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def security_warnings(profile: Profile) -> tuple[str, ...]:
    if profile.encrypted and not profile.verify and not profile.tls_fingerprint:
        return (
            f"WARNING: profile {profile.name!r} has verify = false: the certificate of "
            f"{profile.host} was NOT checked. Anyone on the path could read this mail.",
        )
    return ()


def fingerprint(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True) or b""
    return hashlib.sha256(der).hexdigest()


def format_fingerprint(hex_digest: str) -> str:
    return ":".join(hex_digest[i : i + 2] for i in range(0, len(hex_digest), 2)).upper()


def check_pin(profile: Profile, sock: ssl.SSLSocket, stage: str) -> None:
    if not profile.tls_fingerprint:
        return
    seen = fingerprint(sock)
    if not hmac.compare_digest(seen, profile.tls_fingerprint):
        raise TlsError(
            f"The certificate of {profile.host} does not match tls_fingerprint.",
            stage=stage,
            hint=f"The server presented SHA-256 {format_fingerprint(seen)}. If the server's "
            "certificate really changed, update tls_fingerprint; otherwise someone is in between.",
        )


def describe_tls(sock: ssl.SSLSocket, profile: Profile) -> str:
    cipher = sock.cipher()
    cert = sock.getpeercert() or {}
    parts = [
        f"{sock.version()} via {'implicit TLS' if profile.ssl else 'STARTTLS'}",
        f"cipher {cipher[0] if cipher else '?'}",
    ]
    if cert:
        parts.append(f"subject {_name(cert.get('subject', ()))}")
        parts.append(f"issuer {_name(cert.get('issuer', ()))}")
        expiry = cert.get("notAfter")
        if expiry:
            when = datetime.fromtimestamp(ssl.cert_time_to_seconds(expiry), timezone.utc)
            parts.append(f"expires {when:%Y-%m-%d}")
    elif profile.tls_fingerprint:
        parts.append("certificate pinned by fingerprint (CA not consulted)")
    else:
        parts.append("certificate NOT verified")
    parts.append(f"SHA-256 {format_fingerprint(fingerprint(sock))}")
    return "; ".join(parts)


def _name(rdns: tuple) -> str:
    pairs = [f"{key}={value}" for rdn in rdns for key, value in rdn]
    return ", ".join(pairs) or "?"


def presented_fingerprint(profile: Profile) -> str:
    """The SHA-256 of the certificate the server presents, read with a second handshake that
    checks nothing (after verification failed, for `check` to show what one would pin).
    Greeting, EHLO and STARTTLS at most; no AUTH, no MAIL. Raises OSError or SMTPException."""
    smtp = BoundedSMTP(timeout=profile.timeout)
    smtp._host = profile.host  # type: ignore[attr-defined]
    if profile.ssl:
        smtp.implicit_tls = unverified_context()
    try:
        smtp.connect(profile.host, profile.effective_port)
        if not profile.ssl:
            smtp.start_stage()
            smtp.ehlo()
            smtp.start_stage()
            smtp.starttls(context=unverified_context())
        return format_fingerprint(fingerprint(smtp.sock))  # type: ignore[arg-type]
    finally:
        smtp.close()
