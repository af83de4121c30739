"""Room blocks, room assignment, hotel check-in and check-out."""
