"""A retrying client for kiosks and counters: persists each idempotency key before sending
and tries every app endpoint until one answers."""
