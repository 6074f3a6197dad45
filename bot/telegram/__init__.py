"""The Telegram adapter: parses updates, calls a service, renders the reply. Wiring lives in `app.py`."""
