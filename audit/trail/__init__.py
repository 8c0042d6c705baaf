"""The Audit Trail screen and its CSV export (AU-01)."""
