"""PAdES signatures on final reports, with pyHanko: signing, validating, the demo certificate.

The office's certificate and key come from a PKCS#12 file (``REPORT_SIGNING_P12`` and
``REPORT_SIGNING_PASSPHRASE``). Each signer of a final (the reviewer who approved it; later
the director-general who signs it off) adds one signature in turn, as an incremental update:
the bytes signed before stay exactly as they were, so every earlier signature stays valid and
the PDF/A identification written by WeasyPrint is kept (pyHanko updates the existing XMP and
document information together). The certificate is the office's seal; who signed, in which
role, is in each signature's name and reason.

No Flask here: the rendering child process signs, and ``arzyab report verify`` validates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

DEMO_P12 = "demo-signing.p12"
DEMO_PASS = "demo-signing.pass"


def outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous functions (they run ``asyncio.run`` inside) even
    when this thread already runs an event loop (an async server, Playwright's sync API):
    then in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name="arzyab-pyhanko")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class SigningError(Exception):
    """The certificate cannot be used to sign (missing file, wrong passphrase, no key)."""


@dataclass(frozen=True)
class SigningKey:
    """Where the signing certificate is: plain data, handed to the rendering child."""

    p12_path: str
    passphrase: str


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs, as the signature says it: name, role (the reason) and place."""

    name: str
    reason: str
    location: str = ""


def load_signer(key: SigningKey):
    """A pyHanko signer from the PKCS#12 file, or SigningError saying what is wrong."""
    from pyhanko.sign import signers

    path = Path(key.p12_path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningError(f"the signing certificate {path} cannot be read: "
                           f"{error.strerror}") from None
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=(), passphrase=key.passphrase.encode() if key.passphrase else None)
    except (ValueError, TypeError) as error:
        raise SigningError(f"the signing certificate {path} cannot be opened (wrong "
                           f"passphrase?): {error}") from None
    if signer is None or signer.signing_cert is None:
        raise SigningError(f"the signing certificate {path} holds no certificate and key")
    return signer


def sign(pdf: bytes, identity: SignerIdentity, key: SigningKey, *, signer=None) -> bytes:
    """`pdf` with one more PAdES signature by `identity`, appended incrementally in a new
    signature field (Signature1, Signature2, … in the order of signing)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signer or load_signer(key)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    field_name = f"Signature{len(list(fields.enumerate_sig_fields(writer))) + 1}"
    _align_producer(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        name=identity.name or None, reason=identity.reason or None,
        location=identity.location or None)
    out = outside_event_loop(signers.PdfSigner(meta, signer=signer).sign_pdf, writer)
    return out.getvalue()


def _align_producer(writer) -> None:
    """Keep the document information and the XMP metadata saying the same (PDF/A requires
    it): pyHanko writes its own name as the XMP producer, and appends it to the information
    dictionary's one unless that already holds it, so the latter is set to exactly that."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    reference = writer.trailer.raw_get("/Info")
    if not isinstance(reference, generic.IndirectObject):
        return
    info = reference.get_object()
    if str(info.get("/Producer", "")) != VENDOR:
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.update_container(info)


def sign_in_turn(pdf: bytes, identities: list[SignerIdentity], key: SigningKey) -> bytes:
    """One signature per identity, in order, each appended to the file the previous made."""
    signer = load_signer(key)
    for identity in identities:
        pdf = sign(pdf, identity, key, signer=signer)
    return pdf


def trust_root(key: SigningKey):
    """The certificate of `key` (asn1crypto), the root a validator should trust."""
    return load_signer(key).signing_cert


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    name: str
    reason: str
    signed_at: str
    #: the signed bytes are untouched and the signature matches them
    intact: bool
    #: the certificate is the office's (a trusted root given to the validator)
    trusted: bool
    #: pyHanko's overall judgement (integrity, trust and allowed later changes)
    valid: bool
    #: covers the whole file (the last signature) or the whole revision it signed
    coverage: str


def check_signatures(pdf: bytes, roots: list) -> list[SignatureCheck]:
    """Every embedded signature, validated by pyHanko against `roots` (may be empty)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    context = ValidationContext(trust_roots=list(roots), allow_fetching=False)
    checks = []
    for embedded in reader.embedded_signatures:
        # the file is compared whole with the issued one (sha256), so pyHanko's analysis of
        # what later revisions changed adds nothing, and it takes about a minute on a report
        # signed twice
        status = outside_event_loop(validate_pdf_signature, embedded, context, skip_diff=True)
        sig = embedded.sig_object
        checks.append(SignatureCheck(
            field=embedded.field_name, name=str(sig.get("/Name", "")),
            reason=str(sig.get("/Reason", "")),
            signed_at=str(embedded.self_reported_timestamp or ""),
            intact=bool(status.intact), trusted=bool(status.trusted),
            valid=bool(status.bottom_line), coverage=status.coverage.name))
    return checks


# --- the demo certificate ------------------------------------------------------------------------

def make_demo_certificate(directory: str | os.PathLike, office: str) -> SigningKey:
    """A self-signed certificate for the demo (``arzyab demo``), kept in `directory` with a
    random passphrase beside it (both readable by the owner only). Made once."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    folder = Path(directory)
    p12, secret = folder / DEMO_P12, folder / DEMO_PASS
    if p12.exists() and secret.exists():
        return SigningKey(str(p12), secret.read_text().strip())
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "Arzyab demo seal (not for official use)"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, office[:64]),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IR"),
    ])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256()))
    passphrase = secrets.token_urlsafe(24)
    data = pkcs12.serialize_key_and_certificates(
        b"arzyab-demo", key, certificate, None,
        serialization.BestAvailableEncryption(passphrase.encode()))
    for path, content in ((secret, passphrase.encode()), (p12, data)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(content)
    return SigningKey(str(p12), passphrase)
