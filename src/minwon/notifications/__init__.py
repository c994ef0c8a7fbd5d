"""Notices to residents: an outbox written with the issuance, delivered later by a worker
to the portal inbox, email and SMS."""
