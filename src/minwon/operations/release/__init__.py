"""Safe releases (issue 12): the synthetic end-to-end probe a canary must pass."""
