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


def test_pages_deny_powerful_browser_features_but_keep_passkeys(client, cast):
    # ASVS 3.4.x, issue 15: Permissions-Policy on every page, signed in or not; WebAuthn stays
    # allowed for this origin, or passkeys (issue 14) would stop working.
    client.force_login(cast.alice)
    for url in (reverse("home"), reverse("accounts:passkeys")):
        response = client.get(url)
        policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "display-capture"):
            assert policy[feature] == "()", feature
        assert policy["publickey-credentials-get"] == "(self)"
        assert policy["publickey-credentials-create"] == "(self)"
    client.logout()
    assert "camera=()" in client.get(reverse("accounts:login"))["Permissions-Policy"]
