"""Deterministic demo summit (python run.py seed-demo)."""
