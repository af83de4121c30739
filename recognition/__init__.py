"""Face (detect, encode, quality, liveness, gallery) and speech (engines, intents); no HTTP."""
