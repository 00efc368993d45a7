"""Subscriptions and alert digests: who subscribed to what, which new documents match, the mail, the sending."""
