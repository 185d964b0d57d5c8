"""Sending e-mail over SMTP with the settings in config.py (SMTP_*, MAIL_FROM)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app


class MailNotConfigured(RuntimeError):
    """SMTP_HOST is not set: nothing can be sent."""


def is_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def build(to: str, subject: str, body: str, *, lang: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((current_app.config.get("MAIL_SENDER_NAME", "Child Protection Training"),
                                  current_app.config["MAIL_FROM"]))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    message["Content-Language"] = lang  # after set_content, which clears every Content-* header
    return message


class Connection:
    """One SMTP session for a batch of messages: `with Connection() as smtp: smtp.send(message)`."""

    def __enter__(self) -> Connection:
        config = current_app.config
        if not config.get("SMTP_HOST"):
            raise MailNotConfigured("SMTP_HOST is not set")
        self.smtp = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=config["SMTP_TIMEOUT"])
        if config.get("SMTP_STARTTLS"):
            self.smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USER"):
            self.smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        return self

    def send(self, message: EmailMessage) -> None:
        self.smtp.send_message(message)

    def __exit__(self, *exc_info) -> None:
        try:
            self.smtp.quit()
        except smtplib.SMTPException:
            self.smtp.close()
