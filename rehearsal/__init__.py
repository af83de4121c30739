"""Rehearse the summit: a journey simulator that drives every service through the real API.

plan.py     what happens when (deterministic for a seed): landings, delays, gate visits,
            kiosk questions; the gate queue model
actors.py   the devices and people, as HTTP and Socket.IO clients with their tokens
engine.py   the simulated clock and the scheduler that runs actions on time
runner.py   a rehearsal from start to end: copy of the summit, server, simulator, report
report.py   the rehearsal report (JSON and an HTML page with charts), and comparisons
"""
