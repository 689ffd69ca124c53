"""Attachments on tickets: photos, audio and documents (#17)."""
