"""Mail leaves through Django's SMTP backend and arrives at a real local SMTP server, intact."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives, send_mail

from tests.smtp import SmtpServer, html_body, text_body


def test_it_delivers_a_plain_message(mailbox: SmtpServer) -> None:
    send_mail("Hello", "Body text", "lantern@example.com", ["owner@example.com"])
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Hello"
    assert message["To"] == "owner@example.com"
    assert text_body(message).strip() == "Body text"
    assert mailbox.envelopes == [("lantern@example.com", ["owner@example.com"])]


def test_it_delivers_html_with_a_text_alternative_and_headers(mailbox: SmtpServer) -> None:
    mail = EmailMultiAlternatives(
        "Weekly", "plain", "lantern@example.com", ["a@example.com"], headers={"List-Unsubscribe": "<x>"}
    )
    mail.attach_alternative("<p>rich</p>", "text/html")
    mail.send()
    [message] = mailbox.wait_for(1)
    assert message["List-Unsubscribe"] == "<x>"
    assert "<p>rich</p>" in html_body(message)
    assert text_body(message).strip() == "plain"
