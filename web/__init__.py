"""The web layer domains build on: request parsing and JSON errors, the unit of work, auth
decorators, rate limits and the Socket.IO live relay. It imports `core` and `models`, never a
domain; `kiosk_ui` (the app factory and pages) sits above the domains."""
