"""Certificate commands: verify-offline PAYLOAD_OR_PNG, rotate-signing-key."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from audit.services import record
from certificates import documents, keys, qr, signing
from certificates.models import SigningKey
from extensions import db


def _text_from_image(path: Path) -> str:
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, OSError) as error:
        raise click.ClickException(f"{path} is not an image that can be read") from error
    if not found:
        raise click.ClickException(f"no QR code found in {path}")
    return found[0].text


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long to be a file
        return False


def _keys_from_file(path: Path) -> tuple[dict[str, str], set[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["keys"]
        public = {key_id: entry["public_key"] for key_id, entry in entries.items()}
        retired = {key_id for key_id, entry in entries.items() if entry.get("retired")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise click.ClickException(f"{path} is not a keys.json saved from /verify/keys.json") from error
    return public, retired


def _keys_from_database() -> tuple[dict[str, str], set[str]]:
    rows = db.session.scalars(select(SigningKey))
    public, retired = {}, set()
    for row in rows:
        public[row.key_id] = row.public_key
        if row.retired_at is not None:
            retired.add(row.key_id)
    return public, retired


@click.command("verify-offline")
@click.argument("payload_or_png")
@click.option("--keys", "keys_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A keys.json saved from /verify/keys.json (default: the keys in this server's database).")
@with_appcontext
def verify_offline(payload_or_png: str, keys_file: Path | None) -> None:
    """Check a certificate's signed payload, or a PNG image of its QR code, with no network."""
    text = payload_or_png
    payload = qr.payload_from_text(text)
    if payload is None and _is_file(Path(text)):
        text = _text_from_image(Path(text))
        payload = qr.payload_from_text(text)
    if payload is None:
        raise click.ClickException("not a certificate payload (CPT1.<claims>.<signature>) nor an image of its QR code")
    public, retired = _keys_from_file(keys_file) if keys_file else _keys_from_database()
    try:
        claims = signing.verify_payload(payload, public)
    except signing.PayloadError as error:
        raise click.ClickException(f"INVALID: {error}") from error
    click.echo(f"serial:   {claims.serial}")
    click.echo(f"name:     {claims.name}")
    click.echo(f"course:   {claims.course}")
    click.echo(f"issued:   {claims.issued.isoformat()}")
    click.echo(f"expires:  {claims.expires.isoformat()}")
    note = " (retired since; certificates it signed still count)" if claims.key_id in retired else ""
    click.echo(f"key:      {claims.key_id}{note}")
    code = qr.code_from_text(text)
    if code:
        _check_code_names_payload(code, claims.serial)
        click.echo(f"live status (revocation, supersession): {text.split(qr.FRAGMENT)[0]}")
    click.echo("VALID: the signature matches; the text above is exactly what was issued")


def _check_code_names_payload(code: str, serial: str) -> None:
    """The URL's verification code must name the certificate whose payload follows it: a genuine
    payload copied under another certificate's code would otherwise read as that one's proof."""
    try:
        named = documents.find_by_code(code)
    except SQLAlchemyError:  # checking with --keys on a machine without the database
        db.session.rollback()
        named = None
    if named is None:
        click.echo("url code: not in this database; cannot check that the URL names this certificate")
    elif named.serial != serial:
        raise click.ClickException(
            f"MISMATCH: the signature is genuine, but the payload is certificate {serial}'s while the URL's "
            f"code names certificate {named.serial}. This QR code was altered: do not rely on it.")


@click.command("rotate-signing-key")
@with_appcontext
def rotate_signing_key() -> None:
    """Retire the current certificate signing key and start a new one (old certificates still verify)."""
    key_id = keys.rotate()
    record("signing_key_rotated", actor=None, target=f"signing_key:{key_id}")
    db.session.commit()
    click.echo(f"new signing key {key_id}; earlier keys are retired and still listed at /verify/keys.json")


@click.command("import-signing-keys")
@with_appcontext
def import_signing_keys() -> None:
    """Seal into the database the private keys that an earlier version kept in instance/signing-keys/."""
    adopted = keys.import_legacy_files()
    for key_id in adopted:
        record("signing_key_imported", actor=None, target=f"signing_key:{key_id}")
    db.session.commit()
    missing = db.session.scalars(select(SigningKey.key_id).where(SigningKey.private_key_encrypted.is_(None),
                                                                 SigningKey.retired_at.is_(None))).all()
    click.echo(f"sealed {len(adopted)} key(s) into the database: {', '.join(adopted) or 'none'}")
    if missing:
        raise click.ClickException(f"the active key {missing[0]} has no private half here or in the database")


def register(app: Flask) -> None:
    app.cli.add_command(verify_offline)
    app.cli.add_command(rotate_signing_key)
    app.cli.add_command(import_signing_keys)
