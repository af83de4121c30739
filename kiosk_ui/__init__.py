"""Web layer: Flask app factory, blueprints, Socket.IO namespace, templates and static files."""
