"""Compliance: the findings rules, the nightly scan and its kept counts, the Compliance pages."""
