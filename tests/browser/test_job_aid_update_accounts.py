"""Seeds 003, "Job Aid: Update Accounts", followed step by step as mhughes on jdoe11,
and seeds 004's Add New Subordinate. Each panel is screenshotted for a person to look at."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD


def open_jdoe11(page, shot):
    # 1-2. Administer Account, Manage Subordinate Accounts.
    nav = page.get_by_role("navigation", name="Provider Services")
    nav.get_by_role("link", name="Administer Account").click()
    nav.get_by_role("link", name="Manage Subordinate Accounts").click()
    # 3. Choose the PID/SL from the Provider dropdown.
    page.get_by_label("Provider", exact=True).select_option("110000001A")
    shot("1-manage-subordinate-accounts")
    # 4. On the Subordinates Search panel, click Search.
    page.get_by_role("button", name="Search").click()
    # 5. On the Subordinates Search Results panel, click the subordinate's name.
    results = page.get_by_role("table", name=re.compile("Subordinates Search Results"))
    expect(results).to_contain_text("jdoe11")
    shot("2-search-results")
    results.get_by_role("link", name="DOE, JOHN").click()
    expect(page.get_by_role("heading", name="Update Subordinate")).to_be_visible()


def test_update_subordinate_services(page, sign_in, shot):
    sign_in("mhughes")
    open_jdoe11(page, shot)
    # 6. Move the services to the correct column.
    page.get_by_label("Available Services").select_option(label="Claims Submission and Status")
    page.get_by_role("button", name="Assign ›").click()
    page.get_by_label("Assigned Services").select_option(label="View Provider Reports")
    page.get_by_role("button", name="‹ Unassign").click()
    expect(page.get_by_label("Assigned Services")).to_contain_text("Claims Submission and Status")
    shot("3-update-subordinate")
    # 7. Click Submit.
    page.get_by_role("button", name="Submit").click()
    # 8. On the Confirmation panel, click Close.
    expect(page.get_by_role("heading", name="Confirmation")).to_be_visible()
    shot("4-confirmation")
    page.get_by_role("link", name="Close").click()
    page.get_by_role("link", name="DOE, JOHN").click()
    assigned = page.get_by_label("Assigned Services")
    expect(assigned).to_contain_text("Claims Submission and Status")
    expect(assigned).not_to_contain_text("View Provider Reports")


def test_reset_password_then_jdoe11_must_change_it(page, sign_in, shot, demo):
    sign_in("mhughes")
    open_jdoe11(page, shot)
    # 6. On the Update Subordinate panel, click Reset Password.
    page.get_by_role("button", name="Reset Password").click()
    # 7. Confirmation, with the one-time temporary password.
    expect(page.get_by_role("heading", name="Confirmation")).to_be_visible()
    temporary = page.get_by_test_id("temporary-password").inner_text().strip()
    assert len(temporary) >= 15
    shot("confirmation-temporary-password")
    page.get_by_role("link", name="Close").click()
    page.get_by_role("button", name="Logout").click()

    sign_in("jdoe11", temporary)
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    page.goto(f"{demo.url}/")  # any other page leads back to Change Password (US-04)
    expect(page.get_by_role("heading", name="Change Password")).to_be_visible()
    shot("jdoe11-must-change")
    page.locator("#id_old_password").fill(temporary)
    page.locator("#id_new_password1").fill("copper kettle morning harbor")
    page.locator("#id_new_password2").fill("copper kettle morning harbor")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="110000001A")).to_be_visible()


def test_remove_subordinate_from_provider(page, sign_in, shot):
    sign_in("mhughes")
    open_jdoe11(page, shot)
    # 6. On the Update Subordinate panel, click Remove (and confirm).
    page.get_by_role("link", name="Remove").click()
    shot("remove-confirm")
    page.get_by_role("button", name="Remove").click()
    # 7. Confirmation, Close.
    expect(page.get_by_role("heading", name="Confirmation")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("was removed from 110000001A")
    page.get_by_role("link", name="Close").click()
    expect(page.get_by_role("table", name=re.compile("Subordinates Search Results"))).not_to_contain_text("jdoe11")


def test_add_new_subordinate(page, sign_in, shot):
    sign_in("mhughes")
    nav = page.get_by_role("navigation", name="Provider Services")
    nav.get_by_role("link", name="Manage Subordinate Accounts").click()
    page.get_by_label("Provider", exact=True).select_option("110000001A")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Add New Subordinate").click()
    page.get_by_label("Last Name").fill("Rivera")
    page.get_by_label("First Name").fill("Alma")
    page.get_by_label("Middle Initial").fill("J")
    page.get_by_label("Date of Birth").fill("09/15")
    page.get_by_label("PIN").fill("8642")
    page.get_by_label("Email Address").fill("alma.rivera@example.org")
    page.get_by_label("Zip Code").fill("02302")
    page.get_by_label("Available Services").select_option(label="Manage Member Eligibility")
    page.get_by_role("button", name="Assign ›").click()
    shot("add-new-subordinate")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Confirmation")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("arivera1")
    shot("add-confirmation")


def test_add_new_subordinate_with_bad_input_shows_messages_at_the_fields(page, sign_in):
    sign_in("mhughes")
    page.get_by_role("navigation", name="Provider Services").get_by_role(
        "link", name="Manage Subordinate Accounts"
    ).click()
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Add New Subordinate").click()
    page.get_by_label("Date of Birth").fill("13/45")
    page.get_by_label("PIN").fill("12a4")
    page.get_by_label("Zip Code").fill("123")
    page.get_by_role("button", name="Submit").click()
    # At the field, and again in the error summary at the top (as a link to the field).
    expect(page.locator(".usa-error-message", has_text="Enter the date of birth as mm/dd.")).to_be_visible()
    expect(page.locator(".usa-error-message", has_text="Enter a 5-digit or 9-digit ZIP code. (US-02)")).to_be_visible()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def test_link_bsb_biller_to_a_second_pidsl(page, sign_in, shot):
    # dsmith is the Primary User of 110000001C; bsb.biller belongs to Bay State Billing (LK-01).
    sign_in("dsmith")
    page.get_by_role("navigation", name="Provider Services").get_by_role(
        "link", name="Manage Subordinate Accounts"
    ).click()
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Link Subordinate Accounts").click()
    page.get_by_label("Username").fill("bsb.biller")
    page.get_by_label("Last Name").fill("Quinn")
    page.get_by_label("Available Services").select_option(label="Claims Submission and Status")
    page.get_by_role("button", name="Assign ›").click()
    shot("link")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("bsb.biller was linked to 110000001C")
    shot("link-confirmation")
    page.get_by_role("button", name="Logout").click()
    sign_in("bsb.biller", DEMO_PASSWORD)
    expect(page.get_by_role("row").filter(has_text="110000001C")).to_contain_text("Claims Submission and Status")
