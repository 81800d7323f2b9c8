"""The read-only web view: a FastAPI app (``app.create_app``) and its static page."""
