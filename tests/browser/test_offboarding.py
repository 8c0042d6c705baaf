"""Off-boarding a person who left (issue 17), clicked through on the demo data with axe-core."""

import re

from playwright.sync_api import expect

from providers.models import Access
from tests.browser.conftest import no_axe_violations


def test_mhughes_offboards_jdoe11_and_deactivates_the_user_id(page, sign_in, shot, demo):
    sign_in("mhughes")
    nav = page.get_by_role("navigation", name="Provider Services")
    nav.get_by_role("link", name="Organization Users").click()
    page.get_by_role("link", name=re.compile(r"^Off-board jdoe11")).click()
    expect(page.get_by_role("heading", name=re.compile("Off-board .*jdoe11"))).to_be_visible()
    no_axe_violations(page)
    page.get_by_label(re.compile("Also deactivate the user ID")).check()
    shot("offboard")
    page.get_by_role("button", name="Off-board jdoe11").click()
    expect(page.get_by_role("status")).to_contain_text("was removed from")
    expect(page.get_by_role("status")).to_contain_text("The user ID was deactivated.")
    no_axe_violations(page)
    assert not Access.objects.open().filter(user__username="jdoe11", pidsl__organization__name="Eddy's Group Practice")
