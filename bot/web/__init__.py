"""The HTTP edge: create_app, its shared dependencies, webhooks, uploads, the dashboard."""
