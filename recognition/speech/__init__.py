"""Speech: streaming engines (Vosk, PocketSphinx), intents, answers."""
