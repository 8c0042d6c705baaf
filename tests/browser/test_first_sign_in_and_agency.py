"""First sign-in (US-03, US-04), registration with the PIN letter (seeds 001, 002) and a
Primary User change approved by MassHealth (PU-06), clicked through on the demo data."""

import re

from playwright.sync_api import expect

from providers.models import Access

NEW_PASSWORD = "lantern orchard velvet summit"


def sign_out(page):
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def accept_terms(page, shot):
    expect(page.get_by_role("heading", name=re.compile("Terms and Conditions"))).to_be_visible()
    shot("terms")
    page.get_by_role("button", name="I Accept").click()


def nav(page):
    return page.get_by_role("navigation", name="Provider Services")


def test_tnguyen_accepts_the_terms_then_must_change_her_password(page, sign_in, shot, demo):
    sign_in("tnguyen")
    accept_terms(page, shot)
    # US-04: nothing but Change Password until she has chosen her own.
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    page.goto(f"{demo.url}/")
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    shot("must-change-password")
    page.locator("#id_old_password").fill("demo-posc-2026-portal")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="110000001B")
    expect(row.locator("td").nth(1).locator(".usa-tag")).to_have_text("Subordinate")
    shot("home")
    sign_out(page)
    sign_in("tnguyen", NEW_PASSWORD)
    expect(page.get_by_text("Welcome tnguyen")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="110000001B")).to_be_visible()


def test_agency_enrolls_a_provider_and_the_designee_registers_with_the_pin_letter(page, sign_in, shot, demo):
    sign_in("agency.admin")
    nav(page).get_by_role("link", name="MassHealth Agency").click()
    nav(page).get_by_role("link", name="Enroll a Provider").click()
    page.locator("#id_name").fill("Cape Ann Family Health")
    page.locator("#id_provider_id").fill("660000001")
    page.locator("#id_service_location").fill("A")
    page.locator("#id_pidsl_name").fill("Cape Ann Family Health - Gloucester")
    page.locator("#id_street").fill("9 Main St")
    page.locator("#id_city").fill("Gloucester")
    page.locator("#id_zip_code").fill("01930")
    page.locator("#id_designee_first_name").fill("Nina")
    page.locator("#id_designee_last_name").fill("Alvarez")
    page.locator("#id_designee_email").fill("nina.alvarez@example.org")
    shot("enroll")
    page.get_by_role("button", name="Enroll and issue the PIN letter").click()
    expect(page.get_by_role("heading", name="Provider PIN Registration Letter")).to_be_visible()
    pin = page.get_by_test_id("letter-pin").inner_text().strip()
    pidsl = page.get_by_test_id("letter-pidsl").inner_text().strip()
    assert pidsl == "660000001A"
    assert len(pin) == 10
    shot("letter")
    sign_out(page)

    page.get_by_role("link", name="Register on the POSC").click()
    page.locator("#id_pidsl").fill(pidsl)
    page.locator("#id_registration_pin").fill(pin)
    page.locator("#id_first_name").fill("Nina")
    page.locator("#id_last_name").fill("Alvarez")
    page.locator("#id_birth_date").fill("04/12")
    page.locator("#id_pin").fill("5678")
    page.locator("#id_email").fill("nina.alvarez@example.org")
    page.locator("#id_zip_code").fill("01930")
    page.locator("#id_username").fill("nalvarez")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    shot("register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("You are registered as nalvarez")
    shot("registered")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("User ID").fill("nalvarez")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accept_terms(page, shot)
    row = page.get_by_role("row").filter(has_text="660000001A")
    expect(row.locator("td").nth(1).locator(".usa-tag")).to_have_text("Primary User")
    shot("home")


def test_a_primary_user_change_filed_by_mhughes_and_approved_by_agency(page, sign_in, shot, demo):
    sign_in("mhughes")
    nav(page).get_by_role("link", name="Manage Subordinate Accounts").click()
    page.get_by_label("Provider", exact=True).select_option("110000001A")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Change Primary User").click()
    expect(page.get_by_role("heading", name="Change Primary User")).to_be_visible()
    page.get_by_label("User ID of the new Primary User").fill("rpatel")
    page.get_by_label("Reason").fill("Maria moves to the Quincy office.")
    shot("change-primary")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("Your request to make rpatel the Primary User of 110000001A")
    shot("filed")
    sign_out(page)

    sign_in("agency.admin")
    nav(page).get_by_role("link", name="MassHealth Agency").click()
    nav(page).get_by_role("link", name="Primary User Changes").click()
    row = page.get_by_role("row").filter(has_text="110000001A")
    expect(row).to_contain_text("rpatel")
    shot("pending")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("rpatel is now the Primary User of 110000001A.")
    shot("approved")
    primary = Access.objects.open().get(pidsl__provider_id="110000001", pidsl__service_location="A", role="primary")
    assert primary.user.username == "rpatel"
    sign_out(page)

    sign_in("rpatel")
    row = page.get_by_role("row").filter(has_text="110000001A")
    expect(row.locator("td").nth(1).locator(".usa-tag")).to_have_text("Primary User")  # no longer "Backup Primary User"
    expect(row).to_contain_text("Ravi Patel")
    shot("rpatel-home")


def test_mhughes_cannot_sign_in_asks_for_recovery_and_agency_resets_her_password(page, sign_in, shot, demo):
    """PU-08 in the browser: the request from the sign-in page, the agency's queue and its reset."""
    from django.contrib.auth import get_user_model

    from tests.browser.conftest import no_axe_violations

    mhughes = get_user_model().objects.get(username="mhughes")
    page.goto(f"{demo.url}/accounts/login/")
    page.get_by_role("link", name="I am a Primary User and cannot sign in").click()
    no_axe_violations(page)
    page.get_by_label("Provider ID/Service Location").fill("110000001A")
    page.get_by_label("First Name").fill(mhughes.first_name)
    page.get_by_label("Last Name").fill(mhughes.last_name)
    page.get_by_label("Date of Birth").fill(f"{mhughes.birth_month:02d}/{mhughes.birth_day:02d}")
    page.locator("#id_pin").fill(mhughes.pin)
    page.get_by_label("How MassHealth can reach you").fill("617-555-0142")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_contain_text("MassHealth received your request about 110000001A")
    no_axe_violations(page)
    shot("recovery-filed")

    sign_in("agency.admin")
    nav(page).get_by_role("link", name="MassHealth Agency").click()
    nav(page).get_by_role("link", name="Primary User Recovery").click()
    request = page.get_by_role("region", name=re.compile("110000001A"))
    expect(request).to_contain_text("Matches the Primary User on record, mhughes")
    no_axe_violations(page)
    shot("recovery-queue")
    request.get_by_label(re.compile("Reset the password")).check()
    request.get_by_label(re.compile("Note")).fill("Called Eddy's front desk to confirm")
    request.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("status")).to_contain_text("The password of mhughes was reset")
    no_axe_violations(page)
    mhughes.refresh_from_db()
    assert mhughes.must_change_password


def test_agency_changes_a_provider_type_and_the_ineligible_services_go(page, sign_in, shot, demo):
    """SV-06 in the browser: the organization found by name, what its users hold, the confirmation."""
    from tests.browser.conftest import no_axe_violations

    sign_in("agency.admin")
    nav(page).get_by_role("link", name="MassHealth Agency").click()
    nav(page).get_by_role("link", name="Provider Types").click()
    page.get_by_label("Organization name").fill("Eddy")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Eddy's Group Practice").click()
    expect(page.get_by_role("heading", name="Provider type of Eddy's Group Practice")).to_be_visible()
    no_axe_violations(page)
    page.get_by_role("button", name="Change the provider type").click()
    expect(
        page.locator(".usa-error-message", has_text="Confirm that the services no longer grantable are removed at once")
    ).to_be_visible()
    no_axe_violations(page)
    page.get_by_label(re.compile("PACE provider")).check()
    page.get_by_label(re.compile("I understand")).check()
    shot("provider-type")
    page.get_by_role("button", name="Change the provider type").click()
    expect(page.get_by_role("status")).to_contain_text("The provider type of Eddy's Group Practice was changed")
    no_axe_violations(page)
    primary = Access.objects.open().get(pidsl__provider_id="110000001", pidsl__service_location="A", role="primary")
    assert primary.services.filter(code="sco_pace_members").exists()  # PU-05


def test_agency_reads_the_program_view_filters_overdue_and_drills_down(page, sign_in, shot, demo):
    """Issue 17: the program-wide view, its counts, a filter, the CSV and the drill-down, with axe."""
    from tests.browser.conftest import no_axe_violations

    sign_in("agency.admin")
    nav(page).get_by_role("link", name="Program View").click()
    expect(page.get_by_role("heading", name="Program view")).to_be_visible()
    no_axe_violations(page)
    shot("program")
    page.get_by_label("Review", exact=True).select_option(label="Overdue")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="Eddy's Group Practice")
    expect(row).to_contain_text("days overdue")
    no_axe_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("program-")
    row.get_by_role("link", name="Eddy's Group Practice").click()
    expect(page.get_by_role("heading", name=re.compile("Compliance"))).to_be_visible()


def test_mhughes_registers_a_second_letter_on_the_user_id_she_has(page, sign_in, shot, demo):
    """Issue 17, US-01, Scenario 4: one person may be Primary of several PID/SLs. The letter names
    mhughes; registering anew with her identity asks her to sign in, and signed in the letter
    makes her its Primary User on the user ID she has, never a second one."""
    sign_in("agency.admin")
    nav(page).get_by_role("link", name="MassHealth Agency").click()
    nav(page).get_by_role("link", name="Enroll a Provider").click()
    for field, value in (
        ("#id_name", "Hughes Home Care"),
        ("#id_provider_id", "670000001"),
        ("#id_service_location", "A"),
        ("#id_pidsl_name", "Hughes Home Care - Worcester"),
        ("#id_street", "4 Elm St"),
        ("#id_city", "Worcester"),
        ("#id_zip_code", "01608"),
        ("#id_designee_first_name", "Maria"),
        ("#id_designee_last_name", "Hughes"),
        ("#id_designee_email", "maria.hughes@example.org"),
    ):
        page.locator(field).fill(value)
    page.get_by_role("button", name="Enroll and issue the PIN letter").click()
    pin = page.get_by_test_id("letter-pin").inner_text().strip()
    sign_out(page)

    page.get_by_role("link", name="Register on the POSC").click()
    for field, value in (
        ("#id_pidsl", "670000001A"),
        ("#id_registration_pin", pin),
        ("#id_first_name", "Maria"),
        ("#id_last_name", "Hughes"),
        ("#id_birth_date", "03/14"),
        ("#id_pin", "4821"),
        ("#id_email", "maria.hughes@example.org"),
        ("#id_zip_code", "01608"),
        ("#id_username", "mhughes.e"),
        ("#id_password", NEW_PASSWORD),
        ("#id_password2", NEW_PASSWORD),
    ):
        page.locator(field).fill(value)
    page.get_by_role("button", name="Register").click()
    expect(page.locator("main")).to_contain_text("You already have a user ID")
    assert "Constraint" not in page.content()
    shot("sign-in-first")

    sign_in("mhughes")
    page.goto(f"{demo.url}/providers/register/")
    page.locator("#id_pidsl").fill("670000001A")
    page.locator("#id_registration_pin").fill(pin)
    shot("letter-signed-in")
    page.get_by_role("button", name="Register the letter").click()
    expect(page.get_by_role("status")).to_contain_text("You are registered as mhughes")
    page.get_by_role("link", name="Home").last.click()
    row = page.get_by_role("row").filter(has_text="670000001A")
    expect(row.locator("td").nth(1).locator(".usa-tag")).to_have_text("Primary User")
    assert not Access.objects.filter(user__username="mhughes.e").exists()
    assert Access.objects.open().filter(user__username="mhughes", pidsl__provider_id="670000001").count() == 1
