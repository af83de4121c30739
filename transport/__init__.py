"""Flights, pickup and departure planning, driver assignments."""
