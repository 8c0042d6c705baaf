"""A Primary User signs in and finds her PID/SL and its backup on the home page."""

from playwright.sync_api import expect


def test_mhughes_signs_in_and_sees_her_pidsl_and_backup(page, sign_in, shot):
    sign_in("mhughes")
    expect(page.get_by_text("Welcome mhughes")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="110000001A")
    expect(row).to_contain_text("Primary User")
    expect(row).to_contain_text("Ravi Patel")
    shot("home")
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_wrong_password_is_refused_without_saying_which_part(page, sign_in):
    sign_in("mhughes", "not-the-right-password-at-all")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
