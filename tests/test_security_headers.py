"""ASVS 3.4: the browser-facing headers on every page."""

from django.urls import reverse


def test_pages_send_a_strict_content_security_policy(client, cast):
    client.force_login(cast.carol)
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_pages_have_no_inline_script(client, cast):
    client.force_login(cast.alice)
    for url in (reverse("home"), reverse("subordinates:results", kwargs={"pidsl": cast.pidsl_a.code})):
        page = client.get(url).content.decode()
        for chunk in page.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), chunk[:80]


def test_framing_and_sniffing_are_refused(client, db):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
