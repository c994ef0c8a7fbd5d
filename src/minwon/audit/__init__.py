"""The audit trail: who did what to whose record, through which channel, and why."""
